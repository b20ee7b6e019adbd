CREATE SCHEMA "replicator";
--> statement-breakpoint
CREATE TABLE "replicator"."jobqueue" (
	"id" text PRIMARY KEY DEFAULT ('m_' || replace(gen_random_uuid()::text, '-', '')) NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"updated" timestamp with time zone DEFAULT now() NOT NULL,
	"queue" text NOT NULL,
	"body" "bytea" NOT NULL,
	"timeout" timestamp with time zone DEFAULT now() NOT NULL,
	"received" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replicator"."jobqueue_dead" (
	"id" text PRIMARY KEY NOT NULL,
	"created" timestamp with time zone NOT NULL,
	"updated" timestamp with time zone NOT NULL,
	"queue" text NOT NULL,
	"body" "bytea" NOT NULL,
	"timeout" timestamp with time zone NOT NULL,
	"received" integer NOT NULL,
	"job_name" text NOT NULL,
	"failure_reason" text NOT NULL,
	"error_message" text NOT NULL,
	"moved_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "jobqueue_queue_created_idx" ON "replicator"."jobqueue" USING btree ("queue","created");--> statement-breakpoint
CREATE INDEX "jobqueue_dead_queue_moved_at_idx" ON "replicator"."jobqueue_dead" USING btree ("queue","moved_at");