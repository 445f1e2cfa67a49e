CREATE TABLE `console_sign_ins` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`domain_id` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`access_key` text NOT NULL,
	`session_limit` integer,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE TABLE `revoked_tokens` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer NOT NULL
);
