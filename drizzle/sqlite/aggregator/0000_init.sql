CREATE TABLE `job_dead` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`body` blob NOT NULL,
	`attempts` integer NOT NULL,
	`reason` text NOT NULL,
	`error` text NOT NULL,
	`moved_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	FOREIGN KEY (`ns_id`) REFERENCES `job_ns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `job_done` (
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`status` integer NOT NULL,
	`done_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	PRIMARY KEY(`ns_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `job_ns` (
	`id` integer PRIMARY KEY NOT NULL,
	`queue` text NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `job_ns_queue_name_unique` ON `job_ns` (`queue`,`name`);--> statement-breakpoint
CREATE TABLE `jobqueue` (
	`id` text PRIMARY KEY DEFAULT ('m_' || lower(hex(randomblob(16)))) NOT NULL,
	`created` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`updated` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`queue` text NOT NULL,
	`body` blob NOT NULL,
	`timeout` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')) NOT NULL,
	`received` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobqueue_queue_created_idx` ON `jobqueue` (`queue`,`created`);--> statement-breakpoint
CREATE TABLE `jobqueue_dead` (
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
);
--> statement-breakpoint
CREATE INDEX `jobqueue_dead_queue_moved_at_idx` ON `jobqueue_dead` (`queue`,`moved_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ns_id` integer NOT NULL,
	`key` blob NOT NULL,
	`body` blob NOT NULL,
	`created_s` integer DEFAULT (CAST(strftime('%s') AS INTEGER)) NOT NULL,
	`avail_s` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`ns_id`) REFERENCES `job_ns`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `jobs_unique_live` ON `jobs` (`ns_id`,`key`);--> statement-breakpoint
CREATE INDEX `jobs_claim_idx` ON `jobs` (`ns_id`,`avail_s`,`id`);--> statement-breakpoint
CREATE TABLE `queues` (
	`queue` text PRIMARY KEY NOT NULL,
	`dedupe_enabled` integer DEFAULT 0 NOT NULL
);
