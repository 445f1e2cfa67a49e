CREATE TABLE `access_keys` (
	`access_key` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`project_id` text NOT NULL,
	`secret_wrapped` blob NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `accounts` (
	`domain_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_name_unique` ON `accounts` (`name`);--> statement-breakpoint
CREATE TABLE `change_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`object_id` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `key_tags` (
	`key_id` text NOT NULL,
	`tag_key` text NOT NULL,
	`tag_value` text NOT NULL,
	PRIMARY KEY(`key_id`, `tag_key`)
);
--> statement-breakpoint
CREATE TABLE `key_versions` (
	`key_id` text NOT NULL,
	`version` integer NOT NULL,
	`material_wrapped` blob NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`key_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `keys` (
	`key_id` text PRIMARY KEY NOT NULL,
	`domain_id` text NOT NULL,
	`project_id` text NOT NULL,
	`key_alias` text NOT NULL,
	`key_description` text NOT NULL,
	`key_spec` text NOT NULL,
	`key_usage` text NOT NULL,
	`origin` text NOT NULL,
	`key_state` text NOT NULL,
	`default_key_flag` integer NOT NULL,
	`creation_date` integer NOT NULL,
	`scheduled_deletion_date` integer,
	`expiration_time` integer,
	`keystore_id` text NOT NULL,
	`partition_id` text NOT NULL,
	`rotation_enabled` integer NOT NULL,
	`rotation_interval` integer NOT NULL,
	`last_rotation_time` integer,
	`number_of_rotations` integer NOT NULL,
	`current_version` integer NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `keys_project_alias` ON `keys` (`project_id`,`key_alias`);--> statement-breakpoint
CREATE TABLE `meta` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `partitions` (
	`partition_id` text PRIMARY KEY NOT NULL,
	`root_wrapped` blob NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `projects` (
	`project_id` text PRIMARY KEY NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`region` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `stack_objects` (
	`project_id` text NOT NULL,
	`stack` text NOT NULL,
	`address` text NOT NULL,
	`type` text NOT NULL,
	`object_id` text NOT NULL,
	`attributes` text NOT NULL,
	`dependencies` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `stack`, `address`)
);
--> statement-breakpoint
CREATE TABLE `stacks` (
	`project_id` text NOT NULL,
	`name` text NOT NULL,
	`serial` integer NOT NULL,
	`lineage` text NOT NULL,
	`lock_id` text,
	`lock_who` text,
	`lock_operation` text,
	`lock_created_at` integer,
	PRIMARY KEY(`project_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`user_id` text PRIMARY KEY NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`roles` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_domain_name` ON `users` (`domain_id`,`name`);