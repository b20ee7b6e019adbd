CREATE TABLE `message_send_eth_locks` (
	`from_address` text PRIMARY KEY NOT NULL,
	`task_id` integer NOT NULL,
	`claimed_at` datetime NOT NULL
);
--> statement-breakpoint
CREATE TABLE `message_sends_eth` (
	`from_address` text NOT NULL,
	`to_address` text NOT NULL,
	`send_reason` text NOT NULL,
	`send_task_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`unsigned_tx` blob NOT NULL,
	`unsigned_hash` text NOT NULL,
	`nonce` integer,
	`signed_tx` blob,
	`signed_hash` text,
	`send_time` datetime,
	`send_success` numeric,
	`send_error` text
);
--> statement-breakpoint
CREATE TABLE `message_waits_eth` (
	`waiter_machine_id` integer,
	`signed_tx_hash` text PRIMARY KEY NOT NULL,
	`confirmed_block_number` integer,
	`confirmed_tx_hash` text,
	`confirmed_tx_data` JSON,
	`tx_status` text,
	`tx_receipt` JSON,
	`tx_success` numeric
);
--> statement-breakpoint
CREATE TABLE `parked_piece_refs` (
	`ref_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`piece_id` integer NOT NULL,
	`data_url` text,
	`data_headers` JSON DEFAULT '{}' NOT NULL,
	`long_term` numeric DEFAULT false NOT NULL,
	FOREIGN KEY (`piece_id`) REFERENCES `parked_pieces`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `parked_pieces` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` datetime DEFAULT current_timestamp,
	`piece_cid` text NOT NULL,
	`piece_padded_size` integer NOT NULL,
	`piece_raw_size` integer NOT NULL,
	`complete` numeric DEFAULT false NOT NULL,
	`task_id` integer,
	`cleanup_task_id` integer,
	`long_term` numeric DEFAULT false NOT NULL,
	FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`cleanup_task_id`) REFERENCES `task`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_piece_cid_padded_longterm_cleanup` ON `parked_pieces` (`piece_cid`,`piece_padded_size`,`cleanup_task_id`,`long_term`);--> statement-breakpoint
CREATE TABLE `pdp_piece_mh_to_commp` (
	`mhash` blob PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`commp` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `pdp_piece_uploads` (
	`id` uuid PRIMARY KEY NOT NULL,
	`service` text NOT NULL,
	`check_hash_codec` text NOT NULL,
	`check_hash` blob NOT NULL,
	`check_size` integer NOT NULL,
	`piece_cid` text,
	`notify_url` text NOT NULL,
	`notify_task_id` integer,
	`piece_ref` integer,
	`created_at` datetime DEFAULT CURRENT_TIMESTAMP NOT NULL,
	FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `pdp_piecerefs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`service` text NOT NULL,
	`piece_cid` text NOT NULL,
	`piece_ref` integer,
	`created_at` datetime DEFAULT CURRENT_TIMESTAMP NOT NULL,
	`proofset_refcount` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `pdp_proof_sets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`prev_challenge_request_epoch` integer,
	`challenge_request_task_id` integer,
	`challenge_request_msg_hash` text,
	`proving_period` integer,
	`challenge_window` integer,
	`prove_at_epoch` integer,
	`init_ready` numeric DEFAULT false NOT NULL,
	`create_message_hash` text NOT NULL,
	`service` text NOT NULL,
	FOREIGN KEY (`challenge_request_task_id`) REFERENCES `task`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `pdp_proofset_creates` (
	`create_message_hash` text PRIMARY KEY NOT NULL,
	`ok` numeric,
	`proofset_created` numeric DEFAULT false NOT NULL,
	`service` text NOT NULL,
	`created_at` datetime DEFAULT CURRENT_TIMESTAMP NOT NULL,
	FOREIGN KEY (`create_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `pdp_proofset_root_adds` (
	`proofset_id` integer NOT NULL,
	`add_message_hash` text,
	`subroot_offset` integer NOT NULL,
	`root` text NOT NULL,
	`add_message_ok` numeric,
	`add_message_index` integer,
	`subroot` text NOT NULL,
	`subroot_size` integer,
	`pdp_piece_ref_id` integer,
	PRIMARY KEY(`proofset_id`, `subroot_offset`, `root`),
	FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `pdp_proofset_roots` (
	`proofset_id` integer NOT NULL,
	`root_id` integer NOT NULL,
	`subroot_offset` integer NOT NULL,
	`root` text NOT NULL,
	`add_message_hash` text NOT NULL,
	`add_message_index` integer,
	`subroot` text NOT NULL,
	`subroot_offset_val` integer,
	`subroot_size` integer,
	`pdp_piece_ref_id` integer,
	PRIMARY KEY(`proofset_id`, `root_id`, `subroot_offset`),
	FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE TABLE `pdp_prove_tasks` (
	`proofset_id` integer NOT NULL,
	`task_id` integer NOT NULL,
	PRIMARY KEY(`proofset_id`, `task_id`),
	FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `pdp_provider_registrations` (
	`register_message_hash` text PRIMARY KEY NOT NULL,
	`ok` numeric,
	`provider_registered` numeric DEFAULT false NOT NULL,
	`provider_id` integer,
	`service` text NOT NULL,
	`created_at` datetime DEFAULT CURRENT_TIMESTAMP NOT NULL,
	FOREIGN KEY (`register_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `rail_settlement_waits` (
	`rail_id` text PRIMARY KEY NOT NULL,
	`signed_tx_hash` text NOT NULL,
	`created_at` datetime
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_rail_settlement_waits_signed_tx_hash` ON `rail_settlement_waits` (`signed_tx_hash`);--> statement-breakpoint
CREATE TABLE `task` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`initiated_by` integer,
	`update_time` datetime DEFAULT current_timestamp NOT NULL,
	`posted_time` datetime NOT NULL,
	`session_id` text,
	`added_by` text NOT NULL,
	`previous_task` integer,
	`name` text NOT NULL,
	`retries` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `task_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task_id` integer NOT NULL,
	`name` text NOT NULL,
	`posted` datetime NOT NULL,
	`work_start` datetime NOT NULL,
	`work_end` datetime NOT NULL,
	`result` numeric NOT NULL,
	`err` text,
	`completed_by_session_id` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `withdrawal_waits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`signed_tx_hash` text NOT NULL,
	`created_at` datetime
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_withdrawal_waits_signed_tx_hash` ON `withdrawal_waits` (`signed_tx_hash`);