CREATE TABLE `audit_index` (
	`segment` integer NOT NULL,
	`resource_id` text NOT NULL,
	`domain_id` text NOT NULL,
	`operation` text NOT NULL,
	`outcome` text NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_index_resource` ON `audit_index` (`resource_id`,`segment`);--> statement-breakpoint
CREATE INDEX `audit_index_domain` ON `audit_index` (`domain_id`,`segment`);--> statement-breakpoint
CREATE INDEX `audit_index_segment` ON `audit_index` (`segment`);--> statement-breakpoint
CREATE TABLE `audit_segments` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`chain_id` text NOT NULL,
	`first_seq` integer NOT NULL,
	`last_seq` integer NOT NULL,
	`max_at` integer NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL,
	`records` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `audit_segments_chain` ON `audit_segments` (`chain_id`,`first_seq`);--> statement-breakpoint
-- Records of earlier versions become one-record segments, in their stored order, hashes unchanged.
INSERT INTO `audit_segments` (`chain_id`, `first_seq`, `last_seq`, `max_at`, `prev_hash`, `hash`, `records`)
SELECT `chain_id`, `chain_seq`, `chain_seq`, `at`, `prev_hash`, `hash`,
       json_array(json_array(`at`, `request_id`, `domain_id`, `user_id`, `access_key`, `source_ip`, `operation`, `resource_id`, `outcome`, `status`, `error_code`, `hash`))
FROM `audit_log` ORDER BY `seq`;--> statement-breakpoint
INSERT INTO `audit_index` (`segment`, `resource_id`, `domain_id`, `operation`, `outcome`, `count`)
SELECT s.`seq`, l.`resource_id`, l.`domain_id`, l.`operation`, l.`outcome`, 1
FROM `audit_log` l JOIN `audit_segments` s ON s.`chain_id` = l.`chain_id` AND s.`first_seq` = l.`chain_seq`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
-- One row per record, for people and tools reading the trail with SQL.
CREATE VIEW `audit_records` AS
SELECT s.`seq` * 10000 + j.`key` AS `seq`, s.`chain_id`, s.`first_seq` + j.`key` AS `chain_seq`,
       j.`value` ->> 0 AS `at`, j.`value` ->> 1 AS `request_id`, j.`value` ->> 2 AS `domain_id`, j.`value` ->> 3 AS `user_id`,
       j.`value` ->> 4 AS `access_key`, j.`value` ->> 5 AS `source_ip`, j.`value` ->> 6 AS `operation`, j.`value` ->> 7 AS `resource_id`,
       j.`value` ->> 8 AS `outcome`, j.`value` ->> 9 AS `status`, j.`value` ->> 10 AS `error_code`, j.`value` ->> 11 AS `hash`
FROM `audit_segments` s, json_each(s.`records`) j;