-- KPS (issue 12): key pairs, the SSH hosts they are bound to, and the binding tasks.
CREATE TABLE `kps_hosts` (
	`host_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`address` text NOT NULL,
	`port` integer NOT NULL,
	`username` text NOT NULL,
	`host_key` text,
	`sshd_config` text NOT NULL,
	`description` text NOT NULL,
	`keypair_id` integer,
	`keypair_name` text,
	`bound_public_key` text,
	`password_disabled` integer NOT NULL,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `kps_hosts_project_name` ON `kps_hosts` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `kps_keypairs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`user_id` text NOT NULL,
	`owner` text NOT NULL,
	`name` text NOT NULL,
	`scope` text NOT NULL,
	`type` text NOT NULL,
	`algorithm` text NOT NULL,
	`public_key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`description` text NOT NULL,
	`private_sealed` text,
	`kms_key_id` text,
	`encryption_type` text,
	`frozen_state` integer NOT NULL,
	`upgraded` integer NOT NULL,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `kps_keypairs_owner_name` ON `kps_keypairs` (`project_id`,`owner`,`name`);--> statement-breakpoint
CREATE INDEX `kps_keypairs_project_name` ON `kps_keypairs` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `kps_tasks` (
	`task_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`user_id` text NOT NULL,
	`host_id` text NOT NULL,
	`server_name` text NOT NULL,
	`keypair_name` text NOT NULL,
	`operate_type` text NOT NULL,
	`state` text NOT NULL,
	`error_code` text,
	`error_msg` text,
	`task_time` integer NOT NULL,
	`lease_until` integer NOT NULL,
	`update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `kps_tasks_project_state` ON `kps_tasks` (`project_id`,`state`,`task_time`);--> statement-breakpoint
CREATE INDEX `kps_tasks_host` ON `kps_tasks` (`host_id`,`state`);