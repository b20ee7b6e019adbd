DROP INDEX "egress_tracker"."jobqueue_queue_created_idx";--> statement-breakpoint
CREATE INDEX "jobqueue_queue_created_idx" ON "egress_tracker"."jobqueue" USING btree ("queue","created","id");