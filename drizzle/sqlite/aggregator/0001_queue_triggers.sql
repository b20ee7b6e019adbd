-- Piri's plain queue tables are STRICT, which drizzle cannot declare: rebuild them as STRICT (cheap: this runs
-- right after 0000 created them empty), then add the updated-timestamp trigger.
CREATE TABLE `__strict_jobqueue` (
	`id` text PRIMARY KEY DEFAULT ('m_' || lower(hex(randomblob(16)))) NOT NULL,
	`created` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`updated` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`queue` text NOT NULL,
	`body` blob NOT NULL,
	`timeout` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`received` integer DEFAULT 0 NOT NULL
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_jobqueue` SELECT * FROM `jobqueue`;
--> statement-breakpoint
DROP TABLE `jobqueue`;
--> statement-breakpoint
ALTER TABLE `__strict_jobqueue` RENAME TO `jobqueue`;
--> statement-breakpoint
CREATE INDEX `jobqueue_queue_created_idx` ON `jobqueue` (`queue`,`created`);
--> statement-breakpoint
CREATE TABLE `__strict_jobqueue_dead` (
	`id` text PRIMARY KEY NOT NULL,
	`created` text NOT NULL,
	`updated` text NOT NULL,
	`queue` text NOT NULL,
	`body` blob NOT NULL,
	`timeout` text NOT NULL,
	`received` integer NOT NULL,
	`job_name` text NOT NULL,
	`failure_reason` text NOT NULL,
	`error_message` text NOT NULL,
	`moved_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_jobqueue_dead` SELECT * FROM `jobqueue_dead`;
--> statement-breakpoint
DROP TABLE `jobqueue_dead`;
--> statement-breakpoint
ALTER TABLE `__strict_jobqueue_dead` RENAME TO `jobqueue_dead`;
--> statement-breakpoint
CREATE INDEX `jobqueue_dead_queue_moved_at_idx` ON `jobqueue_dead` (`queue`,`moved_at`);
--> statement-breakpoint
CREATE TRIGGER `jobqueue_updated_timestamp` AFTER UPDATE ON `jobqueue` FOR EACH ROW
BEGIN
	UPDATE `jobqueue` SET `updated` = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE `id` = OLD.`id`;
END;
--> statement-breakpoint
-- The dedup tables: STRICT as in Piri, job_done WITHOUT ROWID; jobs and job_dead keep AUTOINCREMENT.
CREATE TABLE `__strict_queues` (
	`queue` text PRIMARY KEY NOT NULL,
	`dedupe_enabled` integer DEFAULT 0 NOT NULL
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_queues` SELECT * FROM `queues`;
--> statement-breakpoint
DROP TABLE `queues`;
--> statement-breakpoint
ALTER TABLE `__strict_queues` RENAME TO `queues`;
--> statement-breakpoint
CREATE TABLE `__strict_job_ns` (
	`id` integer PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`name` text NOT NULL
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_job_ns` SELECT * FROM `job_ns`;
--> statement-breakpoint
DROP TABLE `job_ns`;
--> statement-breakpoint
ALTER TABLE `__strict_job_ns` RENAME TO `job_ns`;
--> statement-breakpoint
CREATE UNIQUE INDEX `job_ns_queue_name_unique` ON `job_ns` (`queue`,`name`);
--> statement-breakpoint
CREATE TABLE `__strict_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`body` blob NOT NULL,
	`created_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	`avail_s` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`ns_id`) REFERENCES `job_ns`(`id`) ON UPDATE no action ON DELETE no action
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_jobs` SELECT * FROM `jobs`;
--> statement-breakpoint
DROP TABLE `jobs`;
--> statement-breakpoint
ALTER TABLE `__strict_jobs` RENAME TO `jobs`;
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_unique_live` ON `jobs` (`ns_id`,`key`);
--> statement-breakpoint
CREATE INDEX `jobs_claim_idx` ON `jobs` (`ns_id`,`avail_s`,`id`);
--> statement-breakpoint
CREATE TABLE `__wr_job_done` (
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`status` integer NOT NULL,
	`done_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	PRIMARY KEY(`ns_id`, `key`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__wr_job_done` SELECT * FROM `job_done`;
--> statement-breakpoint
DROP TABLE `job_done`;
--> statement-breakpoint
ALTER TABLE `__wr_job_done` RENAME TO `job_done`;
--> statement-breakpoint
CREATE TABLE `__strict_job_dead` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`body` blob NOT NULL,
	`attempts` integer NOT NULL,
	`reason` text NOT NULL,
	`error` text NOT NULL,
	`moved_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	FOREIGN KEY (`ns_id`) REFERENCES `job_ns`(`id`) ON UPDATE no action ON DELETE no action
) STRICT;
--> statement-breakpoint
INSERT INTO `__strict_job_dead` SELECT * FROM `job_dead`;
--> statement-breakpoint
DROP TABLE `job_dead`;
--> statement-breakpoint
ALTER TABLE `__strict_job_dead` RENAME TO `job_dead`;
