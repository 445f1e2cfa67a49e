CREATE TABLE `audit_chains` (
	`chain_id` text PRIMARY KEY NOT NULL,
	`head_seq` integer NOT NULL,
	`head_hash` text NOT NULL,
	`started_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` text NOT NULL,
	`chain_seq` integer NOT NULL,
	`at` integer NOT NULL,
	`request_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`user_id` text NOT NULL,
	`access_key` text NOT NULL,
	`source_ip` text NOT NULL,
	`operation` text NOT NULL,
	`resource_id` text NOT NULL,
	`outcome` text NOT NULL,
	`status` integer NOT NULL,
	`error_code` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_log_chain_seq` ON `audit_log` (`chain_id`,`chain_seq`);--> statement-breakpoint
CREATE INDEX `audit_log_resource` ON `audit_log` (`resource_id`,`at`);--> statement-breakpoint
CREATE TABLE `rotation_policies` (
	`key_id` text PRIMARY KEY NOT NULL,
	`enabled_at` integer NOT NULL
);
