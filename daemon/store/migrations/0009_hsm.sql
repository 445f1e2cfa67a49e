-- HSM instances (issue 14): dedicated instances (software partitions or PKCS#11 tokens), their jobs, and keystores (reference 1h).
CREATE TABLE `hsm_instances` (
	`hsm_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`specification` text NOT NULL,
	`status` text NOT NULL,
	`partition_id` text NOT NULL,
	`credential_hash` text NOT NULL,
	`token` text,
	`token_sealed` blob,
	`create_time` integer NOT NULL,
	`update_time` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hsm_instances_project_name` ON `hsm_instances` (`project_id`,`name`);--> statement-breakpoint
CREATE TABLE `hsm_jobs` (
	`job_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`hsm_id` text NOT NULL,
	`job_type` text NOT NULL,
	`status` text NOT NULL,
	`fail_reason` text,
	`begin_time` integer NOT NULL,
	`end_time` integer
);
--> statement-breakpoint
CREATE INDEX `hsm_jobs_hsm` ON `hsm_jobs` (`hsm_id`);--> statement-breakpoint
CREATE TABLE `keystores` (
	`keystore_id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`keystore_alias` text NOT NULL,
	`keystore_type` text NOT NULL,
	`hsm_id` text NOT NULL,
	`state` text NOT NULL,
	`create_time` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `keystores_project_alias` ON `keystores` (`project_id`,`keystore_alias`);--> statement-breakpoint
CREATE UNIQUE INDEX `keystores_hsm` ON `keystores` (`hsm_id`);