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
CREATE INDEX `jobqueue_dead_queue_moved_at_idx` ON `jobqueue_dead` (`queue`,`moved_at`);