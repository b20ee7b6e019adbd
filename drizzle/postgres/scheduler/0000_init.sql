CREATE SCHEMA "scheduler";
--> statement-breakpoint
CREATE TABLE "scheduler"."message_send_eth_locks" (
	"from_address" text PRIMARY KEY NOT NULL,
	"task_id" bigint NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."message_sends_eth" (
	"from_address" text NOT NULL,
	"to_address" text NOT NULL,
	"send_reason" text NOT NULL,
	"send_task_id" bigserial PRIMARY KEY NOT NULL,
	"unsigned_tx" "bytea" NOT NULL,
	"unsigned_hash" text NOT NULL,
	"nonce" bigint,
	"signed_tx" "bytea",
	"signed_hash" text,
	"send_time" timestamp with time zone,
	"send_success" boolean,
	"send_error" text
);
--> statement-breakpoint
CREATE TABLE "scheduler"."message_waits_eth" (
	"waiter_machine_id" bigint,
	"signed_tx_hash" text PRIMARY KEY NOT NULL,
	"confirmed_block_number" bigint,
	"confirmed_tx_hash" text,
	"confirmed_tx_data" jsonb,
	"tx_status" text,
	"tx_receipt" jsonb,
	"tx_success" boolean
);
--> statement-breakpoint
CREATE TABLE "scheduler"."parked_piece_refs" (
	"ref_id" bigserial PRIMARY KEY NOT NULL,
	"piece_id" bigint NOT NULL,
	"data_url" text,
	"data_headers" jsonb DEFAULT '{}' NOT NULL,
	"long_term" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."parked_pieces" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT current_timestamp,
	"piece_cid" text NOT NULL,
	"piece_padded_size" bigint NOT NULL,
	"piece_raw_size" bigint NOT NULL,
	"complete" boolean DEFAULT false NOT NULL,
	"task_id" bigint,
	"cleanup_task_id" bigint,
	"long_term" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_piece_mh_to_commp" (
	"mhash" "bytea" PRIMARY KEY NOT NULL,
	"size" bigint NOT NULL,
	"commp" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_piece_uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"check_hash_codec" text NOT NULL,
	"check_hash" "bytea" NOT NULL,
	"check_size" bigint NOT NULL,
	"piece_cid" text,
	"notify_url" text NOT NULL,
	"notify_task_id" bigint,
	"piece_ref" bigint,
	"created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_piecerefs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"piece_cid" text NOT NULL,
	"piece_ref" bigint,
	"created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
	"proofset_refcount" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_proof_sets" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"prev_challenge_request_epoch" bigint,
	"challenge_request_task_id" bigint,
	"challenge_request_msg_hash" text,
	"proving_period" bigint,
	"challenge_window" bigint,
	"prove_at_epoch" bigint,
	"init_ready" boolean DEFAULT false NOT NULL,
	"create_message_hash" text NOT NULL,
	"service" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_proofset_creates" (
	"create_message_hash" text PRIMARY KEY NOT NULL,
	"ok" boolean,
	"proofset_created" boolean DEFAULT false NOT NULL,
	"service" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_proofset_root_adds" (
	"proofset_id" bigint NOT NULL,
	"add_message_hash" text,
	"subroot_offset" bigint NOT NULL,
	"root" text NOT NULL,
	"add_message_ok" boolean,
	"add_message_index" bigint,
	"subroot" text NOT NULL,
	"subroot_size" bigint,
	"pdp_piece_ref_id" bigint,
	CONSTRAINT "pdp_proofset_root_adds_pkey" PRIMARY KEY("proofset_id","subroot_offset","root")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_proofset_roots" (
	"proofset_id" bigint NOT NULL,
	"root_id" bigint NOT NULL,
	"subroot_offset" bigint NOT NULL,
	"root" text NOT NULL,
	"add_message_hash" text NOT NULL,
	"add_message_index" bigint,
	"subroot" text NOT NULL,
	"subroot_offset_val" bigint,
	"subroot_size" bigint,
	"pdp_piece_ref_id" bigint,
	CONSTRAINT "pdp_proofset_roots_pkey" PRIMARY KEY("proofset_id","root_id","subroot_offset")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_prove_tasks" (
	"proofset_id" bigint NOT NULL,
	"task_id" bigint NOT NULL,
	CONSTRAINT "pdp_prove_tasks_pkey" PRIMARY KEY("proofset_id","task_id")
);
--> statement-breakpoint
CREATE TABLE "scheduler"."pdp_provider_registrations" (
	"register_message_hash" text PRIMARY KEY NOT NULL,
	"ok" boolean,
	"provider_registered" boolean DEFAULT false NOT NULL,
	"provider_id" bigint,
	"service" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."rail_settlement_waits" (
	"rail_id" text PRIMARY KEY NOT NULL,
	"signed_tx_hash" text NOT NULL,
	"created_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "scheduler"."task" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"initiated_by" bigint,
	"update_time" timestamp with time zone DEFAULT current_timestamp NOT NULL,
	"posted_time" timestamp with time zone NOT NULL,
	"session_id" text,
	"added_by" text NOT NULL,
	"previous_task" bigint,
	"name" varchar(16) NOT NULL,
	"retries" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."task_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"task_id" bigint NOT NULL,
	"name" varchar(16) NOT NULL,
	"posted" timestamp with time zone NOT NULL,
	"work_start" timestamp with time zone NOT NULL,
	"work_end" timestamp with time zone NOT NULL,
	"result" boolean NOT NULL,
	"err" text,
	"completed_by_session_id" varchar(300) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduler"."withdrawal_waits" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"signed_tx_hash" text NOT NULL,
	"created_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "scheduler"."parked_piece_refs" ADD CONSTRAINT "fk_parked_piece_refs_parked_piece" FOREIGN KEY ("piece_id") REFERENCES "scheduler"."parked_pieces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."parked_pieces" ADD CONSTRAINT "fk_parked_pieces_task" FOREIGN KEY ("task_id") REFERENCES "scheduler"."task"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."parked_pieces" ADD CONSTRAINT "fk_parked_pieces_cleanup_task" FOREIGN KEY ("cleanup_task_id") REFERENCES "scheduler"."task"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_piece_uploads" ADD CONSTRAINT "fk_pdp_piece_uploads_parked_piece_ref" FOREIGN KEY ("piece_ref") REFERENCES "scheduler"."parked_piece_refs"("ref_id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_piecerefs" ADD CONSTRAINT "fk_pdp_piecerefs_parked_piece_ref" FOREIGN KEY ("piece_ref") REFERENCES "scheduler"."parked_piece_refs"("ref_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proof_sets" ADD CONSTRAINT "fk_pdp_proof_sets_challenge_request_task" FOREIGN KEY ("challenge_request_task_id") REFERENCES "scheduler"."task"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_creates" ADD CONSTRAINT "fk_pdp_proofset_creates_message_wait" FOREIGN KEY ("create_message_hash") REFERENCES "scheduler"."message_waits_eth"("signed_tx_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_root_adds" ADD CONSTRAINT "fk_pdp_proofset_root_adds_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "scheduler"."pdp_proof_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_root_adds" ADD CONSTRAINT "fk_pdp_proofset_root_adds_add_message_wait" FOREIGN KEY ("add_message_hash") REFERENCES "scheduler"."message_waits_eth"("signed_tx_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_root_adds" ADD CONSTRAINT "fk_pdp_proofset_root_adds_pdp_piece_ref" FOREIGN KEY ("pdp_piece_ref_id") REFERENCES "scheduler"."pdp_piecerefs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_roots" ADD CONSTRAINT "fk_pdp_proofset_roots_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "scheduler"."pdp_proof_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_roots" ADD CONSTRAINT "fk_pdp_proofset_roots_add_message_wait" FOREIGN KEY ("add_message_hash") REFERENCES "scheduler"."message_waits_eth"("signed_tx_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_proofset_roots" ADD CONSTRAINT "fk_pdp_proofset_roots_pdp_piece_ref" FOREIGN KEY ("pdp_piece_ref_id") REFERENCES "scheduler"."pdp_piecerefs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_prove_tasks" ADD CONSTRAINT "fk_pdp_prove_tasks_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "scheduler"."pdp_proof_sets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_prove_tasks" ADD CONSTRAINT "fk_pdp_prove_tasks_prove_task" FOREIGN KEY ("task_id") REFERENCES "scheduler"."task"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scheduler"."pdp_provider_registrations" ADD CONSTRAINT "fk_pdp_provider_registrations_message_wait" FOREIGN KEY ("register_message_hash") REFERENCES "scheduler"."message_waits_eth"("signed_tx_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "idx_piece_cid_padded_longterm_cleanup" ON "scheduler"."parked_pieces" USING btree ("piece_cid","piece_padded_size","cleanup_task_id","long_term");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_rail_settlement_waits_signed_tx_hash" ON "scheduler"."rail_settlement_waits" USING btree ("signed_tx_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_withdrawal_waits_signed_tx_hash" ON "scheduler"."withdrawal_waits" USING btree ("signed_tx_hash");