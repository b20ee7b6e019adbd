CREATE TABLE `task_engine_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`started_at` datetime NOT NULL,
	`heartbeat_at` datetime NOT NULL
);
