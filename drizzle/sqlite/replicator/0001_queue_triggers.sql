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
