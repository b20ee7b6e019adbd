DROP INDEX `jobqueue_queue_created_idx`;--> statement-breakpoint
CREATE INDEX `jobqueue_queue_created_idx` ON `jobqueue` (`queue`,`created`,`id`);