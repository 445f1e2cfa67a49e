-- CSMS (issue 13): secrets, their versions and stages, rotation tasks, event definitions and notification records.
CREATE TABLE `csms_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`event_types` text NOT NULL,
	`state` text NOT NULL,
	`notification` text NOT NULL,
	`signing_key_sealed` text NOT NULL,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `csms_events_project_name` ON `csms_events` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `csms_notifications` (
	`record_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`event_name` text NOT NULL,
	`event_type` text NOT NULL,
	`secret_name` text NOT NULL,
	`payload` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`target_name` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer NOT NULL,
	`next_attempt_time` integer NOT NULL,
	`lease_until` integer NOT NULL,
	`last_error` text,
	`trigger_time` integer NOT NULL,
	`update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `csms_notifications_due` ON `csms_notifications` (`status`,`next_attempt_time`);--> statement-breakpoint
CREATE INDEX `csms_notifications_project` ON `csms_notifications` (`project_id`,`trigger_time`);--> statement-breakpoint
CREATE TABLE `csms_secrets` (
	`secret_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`state` text NOT NULL,
	`kms_key_id` text NOT NULL,
	`description` text NOT NULL,
	`secret_type` text NOT NULL,
	`auto_rotation` integer NOT NULL,
	`rotation_period` text,
	`rotation_config` text,
	`rotation_time` integer,
	`next_rotation_time` integer,
	`event_subscriptions` text NOT NULL,
	`enterprise_project_id` text NOT NULL,
	`rotation_func_urn` text,
	`scheduled_delete_time` integer,
	`tags` text NOT NULL,
	`next_version` integer NOT NULL,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL,
	`revision` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `csms_secrets_project_name` ON `csms_secrets` (`project_id`,`name`);--> statement-breakpoint
CREATE INDEX `csms_secrets_due` ON `csms_secrets` (`state`,`next_rotation_time`);--> statement-breakpoint
CREATE TABLE `csms_stages` (
	`secret_id` text NOT NULL,
	`name` text NOT NULL,
	`version` integer NOT NULL,
	`update_time` integer NOT NULL,
	PRIMARY KEY(`secret_id`, `name`)
);
--> statement-breakpoint
CREATE TABLE `csms_tasks` (
	`task_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`secret_id` text NOT NULL,
	`secret_name` text NOT NULL,
	`rotation_func_urn` text,
	`task_status` text NOT NULL,
	`operate_type` text NOT NULL,
	`task_time` integer NOT NULL,
	`attempt_nums` integer NOT NULL,
	`task_error_code` text,
	`task_error_msg` text
);
--> statement-breakpoint
CREATE INDEX `csms_tasks_project_time` ON `csms_tasks` (`project_id`,`task_time`);--> statement-breakpoint
CREATE TABLE `csms_versions` (
	`secret_id` text NOT NULL,
	`version` integer NOT NULL,
	`project_id` text NOT NULL,
	`kms_key_id` text NOT NULL,
	`sealed` text NOT NULL,
	`value_kind` text NOT NULL,
	`create_time` integer NOT NULL,
	`expire_time` integer,
	`expired_notified` integer NOT NULL,
	PRIMARY KEY(`secret_id`, `version`)
);
--> statement-breakpoint
CREATE INDEX `csms_versions_expiry` ON `csms_versions` (`expired_notified`,`expire_time`);