CREATE TABLE `import_tokens` (
	`token_id` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`project_id` text NOT NULL,
	`user_id` text NOT NULL,
	`wrapping_algorithm` text NOT NULL,
	`wrapping_key_hash` blob NOT NULL,
	`wrapping_key_sealed` blob NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE TABLE `imported_material_digests` (
	`key_id` text PRIMARY KEY NOT NULL,
	`digest` blob NOT NULL,
	`created_at` integer NOT NULL
);
