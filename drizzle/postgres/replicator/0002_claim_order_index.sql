DROP INDEX "replicator"."jobqueue_queue_created_idx";--> statement-breakpoint
CREATE INDEX "jobqueue_queue_created_idx" ON "replicator"."jobqueue" USING btree ("queue","created","id");