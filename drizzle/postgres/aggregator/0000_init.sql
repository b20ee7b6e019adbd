CREATE SCHEMA "aggregator";
--> statement-breakpoint
CREATE TABLE "aggregator"."job_dead" (
	"id" serial PRIMARY KEY NOT NULL,
	"ns_id" integer NOT NULL,
	"key" "bytea" NOT NULL,
	"body" "bytea" NOT NULL,
	"attempts" integer NOT NULL,
	"reason" text NOT NULL,
	"error" text NOT NULL,
	"moved_s" bigint DEFAULT (EXTRACT(EPOCH FROM NOW())::BIGINT) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aggregator"."job_done" (
	"ns_id" integer NOT NULL,
	"key" "bytea" NOT NULL,
	"status" integer NOT NULL,
	"done_s" bigint DEFAULT (EXTRACT(EPOCH FROM NOW())::BIGINT) NOT NULL,
	CONSTRAINT "job_done_ns_id_key_pk" PRIMARY KEY("ns_id","key")
);
--> statement-breakpoint
CREATE TABLE "aggregator"."job_ns" (
	"id" serial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"name" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aggregator"."jobqueue" (
	"id" text PRIMARY KEY DEFAULT ('m_' || replace(gen_random_uuid()::text, '-', '')) NOT NULL,
	"created" timestamp with time zone DEFAULT now() NOT NULL,
	"updated" timestamp with time zone DEFAULT now() NOT NULL,
	"queue" text NOT NULL,
	"body" "bytea" NOT NULL,
	"timeout" timestamp with time zone DEFAULT now() NOT NULL,
	"received" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aggregator"."jobqueue_dead" (
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
CREATE TABLE "aggregator"."jobs" (
	"id" serial PRIMARY KEY NOT NULL,
	"ns_id" integer NOT NULL,
	"key" "bytea" NOT NULL,
	"body" "bytea" NOT NULL,
	"created_s" bigint DEFAULT (EXTRACT(EPOCH FROM NOW())::BIGINT) NOT NULL,
	"avail_s" bigint NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "aggregator"."queues" (
	"queue" text PRIMARY KEY NOT NULL,
	"dedupe_enabled" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "aggregator"."job_dead" ADD CONSTRAINT "job_dead_ns_id_job_ns_id_fk" FOREIGN KEY ("ns_id") REFERENCES "aggregator"."job_ns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "aggregator"."jobs" ADD CONSTRAINT "jobs_ns_id_job_ns_id_fk" FOREIGN KEY ("ns_id") REFERENCES "aggregator"."job_ns"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "job_ns_queue_name_unique" ON "aggregator"."job_ns" USING btree ("queue","name");--> statement-breakpoint
CREATE INDEX "jobqueue_queue_created_idx" ON "aggregator"."jobqueue" USING btree ("queue","created");--> statement-breakpoint
CREATE INDEX "jobqueue_dead_queue_moved_at_idx" ON "aggregator"."jobqueue_dead" USING btree ("queue","moved_at");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_unique_live" ON "aggregator"."jobs" USING btree ("ns_id","key");--> statement-breakpoint
CREATE INDEX "jobs_claim_idx" ON "aggregator"."jobs" USING btree ("ns_id","avail_s","id");