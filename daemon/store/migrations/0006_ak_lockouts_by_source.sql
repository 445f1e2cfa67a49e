-- Lockouts are counted per access key and source address now. The old rows (per AK only, at most
-- five minutes of state) have no source to carry over, so they are dropped with their table.
DROP TABLE `ak_lockouts`;--> statement-breakpoint
CREATE TABLE `ak_lockouts` (
	`access_key` text NOT NULL,
	`source` text NOT NULL,
	`failures` integer NOT NULL,
	`locked_until` integer NOT NULL,
	`locked_version` integer NOT NULL,
	`last_failure_at` integer NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`access_key`, `source`)
);
