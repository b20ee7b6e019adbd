DROP INDEX "aggregator"."jobqueue_queue_created_idx";--> statement-breakpoint
CREATE INDEX "jobqueue_queue_created_idx" ON "aggregator"."jobqueue" USING btree ("queue","created","id");