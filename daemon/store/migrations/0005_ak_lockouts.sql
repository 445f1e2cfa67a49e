CREATE TABLE `ak_lockouts` (
	`access_key` text PRIMARY KEY NOT NULL,
	`failures` integer NOT NULL,
	`locked_until` integer NOT NULL,
	`version` integer NOT NULL
);
