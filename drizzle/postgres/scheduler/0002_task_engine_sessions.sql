CREATE TABLE "scheduler"."task_engine_sessions" (
	"session_id" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL
);
