CREATE TABLE `grants` (
	`grant_id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`project_id` text NOT NULL,
	`grantee_principal` text NOT NULL,
	`grantee_principal_type` text NOT NULL,
	`operations` text NOT NULL,
	`issuing_principal` text NOT NULL,
	`retiring_principal` text,
	`name` text,
	`creation_date` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `grants_key` ON `grants` (`key_id`);--> statement-breakpoint
CREATE TABLE `ip_acls` (
	`domain_id` text PRIMARY KEY NOT NULL,
	`cidrs` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `kms_aliases` (
	`project_id` text NOT NULL,
	`alias` text NOT NULL,
	`key_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL,
	`revision` integer NOT NULL,
	PRIMARY KEY(`project_id`, `alias`)
);
