-- Rebuilds Piri's 18 scheduler tables in the DDL Piri's GORM AutoMigrate (glebarez/sqlite) writes, keeping every
-- row, so that Piri started on this file finds nothing to change (docs/operations.md, "Running Piri on a piri-db
-- database"; test/schema/beside-piri.test.ts). What drizzle-kit wrote made GORM rebuild tables:
--  * GORM finds a foreign key only by its name, `CONSTRAINT `fk_<table>_<relation>`` in sqlite_master.sql, and
--    drizzle-kit writes SQLite FKs unnamed: GORM re-adds each one by rebuilding the table with foreign keys on,
--    and the DROP TABLE of that rebuild cascade-deletes the child rows (parked_piece_refs, pdp_piecerefs, ...).
--  * GORM's DDL parser reads a column default up to the end of the column's text, so `DEFAULT x NOT NULL`
--    reads as "x NOT NULL"; and it takes a tab for a quote, so drizzle's tab-indented columns are mis-split and
--    a column it cannot find counts as having no default. Either way the default differs and GORM rebuilds.
-- So every table is written as GORM writes it: one line, named FKs without ON UPDATE, `NOT NULL DEFAULT x`,
-- PRIMARY KEY (...) as a table constraint unless the key is an AUTOINCREMENT integer. Primary-key columns stay
-- NOT NULL (docs/differences-from-piri.md); GORM does not compare their nullability. Column order is unchanged.
-- Runs with foreign keys off (src/backend/sqlite/migrate.ts), so DROP TABLE cascades nothing, and must pass
-- foreign_key_check. Each AUTOINCREMENT table keeps its sqlite_sequence high-water mark, so ids of deleted rows
-- (task ids live on in message_sends_eth.send_task_id) are never handed out again.
-- The five triggers are dropped first and created again last (as 0001_triggers): dropping pdp_proofset_roots and
-- message_waits_eth drops theirs, and the others name tables that are renamed here.
-- A later drizzle-kit migration that rebuilds one of these tables, or adds a column, writes drizzle's shape
-- again: it must be followed by the same kind of rebuild (test/schema/beside-piri.test.ts fails until it is).
DROP TRIGGER `pdp_proofset_root_insert`;
--> statement-breakpoint
DROP TRIGGER `pdp_proofset_root_delete`;
--> statement-breakpoint
DROP TRIGGER `pdp_proofset_root_update`;
--> statement-breakpoint
DROP TRIGGER `pdp_proofset_create_message_status_change`;
--> statement-breakpoint
DROP TRIGGER `pdp_proofset_add_message_status_change`;
--> statement-breakpoint
CREATE TABLE `task__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`initiated_by` integer,`update_time` datetime NOT NULL DEFAULT current_timestamp,`posted_time` datetime NOT NULL,`session_id` text,`added_by` text NOT NULL,`previous_task` integer,`name` text NOT NULL,`retries` integer NOT NULL);
--> statement-breakpoint
INSERT INTO `task__gorm` (`id`,`initiated_by`,`update_time`,`posted_time`,`session_id`,`added_by`,`previous_task`,`name`,`retries`) SELECT `id`,`initiated_by`,`update_time`,`posted_time`,`session_id`,`added_by`,`previous_task`,`name`,`retries` FROM `task`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'task__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'task__gorm', seq FROM sqlite_sequence WHERE name = 'task';
--> statement-breakpoint
DROP TABLE `task`;
--> statement-breakpoint
ALTER TABLE `task__gorm` RENAME TO `task`;
--> statement-breakpoint
CREATE TABLE `task_history__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`task_id` integer NOT NULL,`name` text NOT NULL,`posted` datetime NOT NULL,`work_start` datetime NOT NULL,`work_end` datetime NOT NULL,`result` numeric NOT NULL,`err` text,`completed_by_session_id` text NOT NULL);
--> statement-breakpoint
INSERT INTO `task_history__gorm` (`id`,`task_id`,`name`,`posted`,`work_start`,`work_end`,`result`,`err`,`completed_by_session_id`) SELECT `id`,`task_id`,`name`,`posted`,`work_start`,`work_end`,`result`,`err`,`completed_by_session_id` FROM `task_history`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'task_history__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'task_history__gorm', seq FROM sqlite_sequence WHERE name = 'task_history';
--> statement-breakpoint
DROP TABLE `task_history`;
--> statement-breakpoint
ALTER TABLE `task_history__gorm` RENAME TO `task_history`;
--> statement-breakpoint
CREATE TABLE `parked_pieces__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`created_at` datetime DEFAULT current_timestamp,`piece_cid` text NOT NULL,`piece_padded_size` integer NOT NULL,`piece_raw_size` integer NOT NULL,`complete` numeric NOT NULL DEFAULT false,`task_id` integer,`cleanup_task_id` integer,`long_term` numeric NOT NULL DEFAULT false,CONSTRAINT `fk_parked_pieces_task` FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL,CONSTRAINT `fk_parked_pieces_cleanup_task` FOREIGN KEY (`cleanup_task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL);
--> statement-breakpoint
INSERT INTO `parked_pieces__gorm` (`id`,`created_at`,`piece_cid`,`piece_padded_size`,`piece_raw_size`,`complete`,`task_id`,`cleanup_task_id`,`long_term`) SELECT `id`,`created_at`,`piece_cid`,`piece_padded_size`,`piece_raw_size`,`complete`,`task_id`,`cleanup_task_id`,`long_term` FROM `parked_pieces`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'parked_pieces__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'parked_pieces__gorm', seq FROM sqlite_sequence WHERE name = 'parked_pieces';
--> statement-breakpoint
DROP TABLE `parked_pieces`;
--> statement-breakpoint
ALTER TABLE `parked_pieces__gorm` RENAME TO `parked_pieces`;
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_piece_cid_padded_longterm_cleanup` ON `parked_pieces`(`piece_cid`,`piece_padded_size`,`cleanup_task_id`,`long_term`);
--> statement-breakpoint
CREATE TABLE `parked_piece_refs__gorm` (`ref_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`piece_id` integer NOT NULL,`data_url` text,`data_headers` JSON NOT NULL DEFAULT '{}',`long_term` numeric NOT NULL DEFAULT false,CONSTRAINT `fk_parked_piece_refs_parked_piece` FOREIGN KEY (`piece_id`) REFERENCES `parked_pieces`(`id`) ON DELETE CASCADE);
--> statement-breakpoint
INSERT INTO `parked_piece_refs__gorm` (`ref_id`,`piece_id`,`data_url`,`data_headers`,`long_term`) SELECT `ref_id`,`piece_id`,`data_url`,`data_headers`,`long_term` FROM `parked_piece_refs`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'parked_piece_refs__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'parked_piece_refs__gorm', seq FROM sqlite_sequence WHERE name = 'parked_piece_refs';
--> statement-breakpoint
DROP TABLE `parked_piece_refs`;
--> statement-breakpoint
ALTER TABLE `parked_piece_refs__gorm` RENAME TO `parked_piece_refs`;
--> statement-breakpoint
CREATE TABLE `pdp_piece_uploads__gorm` (`id` uuid NOT NULL,`service` text NOT NULL,`check_hash_codec` text NOT NULL,`check_hash` blob NOT NULL,`check_size` integer NOT NULL,`piece_cid` text,`notify_url` text NOT NULL,`notify_task_id` integer,`piece_ref` integer,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`id`),CONSTRAINT `fk_pdp_piece_uploads_parked_piece_ref` FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON DELETE SET NULL);
--> statement-breakpoint
INSERT INTO `pdp_piece_uploads__gorm` (`id`,`service`,`check_hash_codec`,`check_hash`,`check_size`,`piece_cid`,`notify_url`,`notify_task_id`,`piece_ref`,`created_at`) SELECT `id`,`service`,`check_hash_codec`,`check_hash`,`check_size`,`piece_cid`,`notify_url`,`notify_task_id`,`piece_ref`,`created_at` FROM `pdp_piece_uploads`;
--> statement-breakpoint
DROP TABLE `pdp_piece_uploads`;
--> statement-breakpoint
ALTER TABLE `pdp_piece_uploads__gorm` RENAME TO `pdp_piece_uploads`;
--> statement-breakpoint
CREATE TABLE `pdp_piecerefs__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`service` text NOT NULL,`piece_cid` text NOT NULL,`piece_ref` integer,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,`proofset_refcount` integer NOT NULL DEFAULT 0,CONSTRAINT `fk_pdp_piecerefs_parked_piece_ref` FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON DELETE CASCADE);
--> statement-breakpoint
INSERT INTO `pdp_piecerefs__gorm` (`id`,`service`,`piece_cid`,`piece_ref`,`created_at`,`proofset_refcount`) SELECT `id`,`service`,`piece_cid`,`piece_ref`,`created_at`,`proofset_refcount` FROM `pdp_piecerefs`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'pdp_piecerefs__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'pdp_piecerefs__gorm', seq FROM sqlite_sequence WHERE name = 'pdp_piecerefs';
--> statement-breakpoint
DROP TABLE `pdp_piecerefs`;
--> statement-breakpoint
ALTER TABLE `pdp_piecerefs__gorm` RENAME TO `pdp_piecerefs`;
--> statement-breakpoint
CREATE TABLE `pdp_piece_mh_to_commp__gorm` (`mhash` blob NOT NULL,`size` integer NOT NULL,`commp` text NOT NULL,PRIMARY KEY (`mhash`));
--> statement-breakpoint
INSERT INTO `pdp_piece_mh_to_commp__gorm` (`mhash`,`size`,`commp`) SELECT `mhash`,`size`,`commp` FROM `pdp_piece_mh_to_commp`;
--> statement-breakpoint
DROP TABLE `pdp_piece_mh_to_commp`;
--> statement-breakpoint
ALTER TABLE `pdp_piece_mh_to_commp__gorm` RENAME TO `pdp_piece_mh_to_commp`;
--> statement-breakpoint
CREATE TABLE `pdp_proof_sets__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`prev_challenge_request_epoch` integer,`challenge_request_task_id` integer,`challenge_request_msg_hash` text,`proving_period` integer,`challenge_window` integer,`prove_at_epoch` integer,`init_ready` numeric NOT NULL DEFAULT false,`create_message_hash` text NOT NULL,`service` text NOT NULL,CONSTRAINT `fk_pdp_proof_sets_challenge_request_task` FOREIGN KEY (`challenge_request_task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL);
--> statement-breakpoint
INSERT INTO `pdp_proof_sets__gorm` (`id`,`prev_challenge_request_epoch`,`challenge_request_task_id`,`challenge_request_msg_hash`,`proving_period`,`challenge_window`,`prove_at_epoch`,`init_ready`,`create_message_hash`,`service`) SELECT `id`,`prev_challenge_request_epoch`,`challenge_request_task_id`,`challenge_request_msg_hash`,`proving_period`,`challenge_window`,`prove_at_epoch`,`init_ready`,`create_message_hash`,`service` FROM `pdp_proof_sets`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'pdp_proof_sets__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'pdp_proof_sets__gorm', seq FROM sqlite_sequence WHERE name = 'pdp_proof_sets';
--> statement-breakpoint
DROP TABLE `pdp_proof_sets`;
--> statement-breakpoint
ALTER TABLE `pdp_proof_sets__gorm` RENAME TO `pdp_proof_sets`;
--> statement-breakpoint
CREATE TABLE `pdp_prove_tasks__gorm` (`proofset_id` integer NOT NULL,`task_id` integer NOT NULL,PRIMARY KEY (`proofset_id`,`task_id`),CONSTRAINT `fk_pdp_prove_tasks_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_prove_tasks_prove_task` FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON DELETE CASCADE);
--> statement-breakpoint
INSERT INTO `pdp_prove_tasks__gorm` (`proofset_id`,`task_id`) SELECT `proofset_id`,`task_id` FROM `pdp_prove_tasks`;
--> statement-breakpoint
DROP TABLE `pdp_prove_tasks`;
--> statement-breakpoint
ALTER TABLE `pdp_prove_tasks__gorm` RENAME TO `pdp_prove_tasks`;
--> statement-breakpoint
CREATE TABLE `message_waits_eth__gorm` (`waiter_machine_id` integer,`signed_tx_hash` text NOT NULL,`confirmed_block_number` integer,`confirmed_tx_hash` text,`confirmed_tx_data` JSON,`tx_status` text,`tx_receipt` JSON,`tx_success` numeric,PRIMARY KEY (`signed_tx_hash`));
--> statement-breakpoint
INSERT INTO `message_waits_eth__gorm` (`waiter_machine_id`,`signed_tx_hash`,`confirmed_block_number`,`confirmed_tx_hash`,`confirmed_tx_data`,`tx_status`,`tx_receipt`,`tx_success`) SELECT `waiter_machine_id`,`signed_tx_hash`,`confirmed_block_number`,`confirmed_tx_hash`,`confirmed_tx_data`,`tx_status`,`tx_receipt`,`tx_success` FROM `message_waits_eth`;
--> statement-breakpoint
DROP TABLE `message_waits_eth`;
--> statement-breakpoint
ALTER TABLE `message_waits_eth__gorm` RENAME TO `message_waits_eth`;
--> statement-breakpoint
CREATE TABLE `pdp_proofset_creates__gorm` (`create_message_hash` text NOT NULL,`ok` numeric,`proofset_created` numeric NOT NULL DEFAULT false,`service` text NOT NULL,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`create_message_hash`),CONSTRAINT `fk_pdp_proofset_creates_message_wait` FOREIGN KEY (`create_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE);
--> statement-breakpoint
INSERT INTO `pdp_proofset_creates__gorm` (`create_message_hash`,`ok`,`proofset_created`,`service`,`created_at`) SELECT `create_message_hash`,`ok`,`proofset_created`,`service`,`created_at` FROM `pdp_proofset_creates`;
--> statement-breakpoint
DROP TABLE `pdp_proofset_creates`;
--> statement-breakpoint
ALTER TABLE `pdp_proofset_creates__gorm` RENAME TO `pdp_proofset_creates`;
--> statement-breakpoint
CREATE TABLE `pdp_proofset_roots__gorm` (`proofset_id` integer NOT NULL,`root_id` integer NOT NULL,`subroot_offset` integer NOT NULL,`root` text NOT NULL,`add_message_hash` text NOT NULL,`add_message_index` integer,`subroot` text NOT NULL,`subroot_offset_val` integer,`subroot_size` integer,`pdp_piece_ref_id` integer,PRIMARY KEY (`proofset_id`,`root_id`,`subroot_offset`),CONSTRAINT `fk_pdp_proofset_roots_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_roots_add_message_wait` FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_roots_pdp_piece_ref` FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON DELETE SET NULL);
--> statement-breakpoint
INSERT INTO `pdp_proofset_roots__gorm` (`proofset_id`,`root_id`,`subroot_offset`,`root`,`add_message_hash`,`add_message_index`,`subroot`,`subroot_offset_val`,`subroot_size`,`pdp_piece_ref_id`) SELECT `proofset_id`,`root_id`,`subroot_offset`,`root`,`add_message_hash`,`add_message_index`,`subroot`,`subroot_offset_val`,`subroot_size`,`pdp_piece_ref_id` FROM `pdp_proofset_roots`;
--> statement-breakpoint
DROP TABLE `pdp_proofset_roots`;
--> statement-breakpoint
ALTER TABLE `pdp_proofset_roots__gorm` RENAME TO `pdp_proofset_roots`;
--> statement-breakpoint
CREATE TABLE `pdp_proofset_root_adds__gorm` (`proofset_id` integer NOT NULL,`add_message_hash` text,`subroot_offset` integer NOT NULL,`root` text NOT NULL,`add_message_ok` numeric,`add_message_index` integer,`subroot` text NOT NULL,`subroot_size` integer,`pdp_piece_ref_id` integer,PRIMARY KEY (`proofset_id`,`subroot_offset`,`root`),CONSTRAINT `fk_pdp_proofset_root_adds_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_root_adds_add_message_wait` FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_root_adds_pdp_piece_ref` FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON DELETE SET NULL);
--> statement-breakpoint
INSERT INTO `pdp_proofset_root_adds__gorm` (`proofset_id`,`add_message_hash`,`subroot_offset`,`root`,`add_message_ok`,`add_message_index`,`subroot`,`subroot_size`,`pdp_piece_ref_id`) SELECT `proofset_id`,`add_message_hash`,`subroot_offset`,`root`,`add_message_ok`,`add_message_index`,`subroot`,`subroot_size`,`pdp_piece_ref_id` FROM `pdp_proofset_root_adds`;
--> statement-breakpoint
DROP TABLE `pdp_proofset_root_adds`;
--> statement-breakpoint
ALTER TABLE `pdp_proofset_root_adds__gorm` RENAME TO `pdp_proofset_root_adds`;
--> statement-breakpoint
CREATE TABLE `pdp_provider_registrations__gorm` (`register_message_hash` text NOT NULL,`ok` numeric,`provider_registered` numeric NOT NULL DEFAULT false,`provider_id` integer,`service` text NOT NULL,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`register_message_hash`),CONSTRAINT `fk_pdp_provider_registrations_message_wait` FOREIGN KEY (`register_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE);
--> statement-breakpoint
INSERT INTO `pdp_provider_registrations__gorm` (`register_message_hash`,`ok`,`provider_registered`,`provider_id`,`service`,`created_at`) SELECT `register_message_hash`,`ok`,`provider_registered`,`provider_id`,`service`,`created_at` FROM `pdp_provider_registrations`;
--> statement-breakpoint
DROP TABLE `pdp_provider_registrations`;
--> statement-breakpoint
ALTER TABLE `pdp_provider_registrations__gorm` RENAME TO `pdp_provider_registrations`;
--> statement-breakpoint
CREATE TABLE `message_sends_eth__gorm` (`from_address` text NOT NULL,`to_address` text NOT NULL,`send_reason` text NOT NULL,`send_task_id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`unsigned_tx` blob NOT NULL,`unsigned_hash` text NOT NULL,`nonce` integer,`signed_tx` blob,`signed_hash` text,`send_time` datetime,`send_success` numeric,`send_error` text);
--> statement-breakpoint
INSERT INTO `message_sends_eth__gorm` (`from_address`,`to_address`,`send_reason`,`send_task_id`,`unsigned_tx`,`unsigned_hash`,`nonce`,`signed_tx`,`signed_hash`,`send_time`,`send_success`,`send_error`) SELECT `from_address`,`to_address`,`send_reason`,`send_task_id`,`unsigned_tx`,`unsigned_hash`,`nonce`,`signed_tx`,`signed_hash`,`send_time`,`send_success`,`send_error` FROM `message_sends_eth`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'message_sends_eth__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'message_sends_eth__gorm', seq FROM sqlite_sequence WHERE name = 'message_sends_eth';
--> statement-breakpoint
DROP TABLE `message_sends_eth`;
--> statement-breakpoint
ALTER TABLE `message_sends_eth__gorm` RENAME TO `message_sends_eth`;
--> statement-breakpoint
CREATE TABLE `message_send_eth_locks__gorm` (`from_address` text NOT NULL,`task_id` integer NOT NULL,`claimed_at` datetime NOT NULL,PRIMARY KEY (`from_address`));
--> statement-breakpoint
INSERT INTO `message_send_eth_locks__gorm` (`from_address`,`task_id`,`claimed_at`) SELECT `from_address`,`task_id`,`claimed_at` FROM `message_send_eth_locks`;
--> statement-breakpoint
DROP TABLE `message_send_eth_locks`;
--> statement-breakpoint
ALTER TABLE `message_send_eth_locks__gorm` RENAME TO `message_send_eth_locks`;
--> statement-breakpoint
CREATE TABLE `rail_settlement_waits__gorm` (`rail_id` text NOT NULL,`signed_tx_hash` text NOT NULL,`created_at` datetime,PRIMARY KEY (`rail_id`));
--> statement-breakpoint
INSERT INTO `rail_settlement_waits__gorm` (`rail_id`,`signed_tx_hash`,`created_at`) SELECT `rail_id`,`signed_tx_hash`,`created_at` FROM `rail_settlement_waits`;
--> statement-breakpoint
DROP TABLE `rail_settlement_waits`;
--> statement-breakpoint
ALTER TABLE `rail_settlement_waits__gorm` RENAME TO `rail_settlement_waits`;
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_rail_settlement_waits_signed_tx_hash` ON `rail_settlement_waits`(`signed_tx_hash`);
--> statement-breakpoint
CREATE TABLE `withdrawal_waits__gorm` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,`signed_tx_hash` text NOT NULL,`created_at` datetime);
--> statement-breakpoint
INSERT INTO `withdrawal_waits__gorm` (`id`,`signed_tx_hash`,`created_at`) SELECT `id`,`signed_tx_hash`,`created_at` FROM `withdrawal_waits`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'withdrawal_waits__gorm';
--> statement-breakpoint
INSERT INTO sqlite_sequence (name, seq) SELECT 'withdrawal_waits__gorm', seq FROM sqlite_sequence WHERE name = 'withdrawal_waits';
--> statement-breakpoint
DROP TABLE `withdrawal_waits`;
--> statement-breakpoint
ALTER TABLE `withdrawal_waits__gorm` RENAME TO `withdrawal_waits`;
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_withdrawal_waits_signed_tx_hash` ON `withdrawal_waits`(`signed_tx_hash`);
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_insert
AFTER INSERT ON pdp_proofset_roots
FOR EACH ROW
WHEN (NEW.pdp_piece_ref_id IS NOT NULL)
BEGIN
    UPDATE pdp_piecerefs
    SET proofset_refcount = proofset_refcount + 1
    WHERE id = NEW.pdp_piece_ref_id;
END;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_delete
AFTER DELETE ON pdp_proofset_roots
FOR EACH ROW
WHEN (OLD.pdp_piece_ref_id IS NOT NULL)
BEGIN
    UPDATE pdp_piecerefs
    SET proofset_refcount = proofset_refcount - 1
    WHERE id = OLD.pdp_piece_ref_id;
END;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_root_update
AFTER UPDATE ON pdp_proofset_roots
FOR EACH ROW
WHEN (OLD.pdp_piece_ref_id IS NOT NEW.pdp_piece_ref_id)
BEGIN
    -- Decrement the old reference, if any.
    UPDATE pdp_piecerefs
    SET proofset_refcount = proofset_refcount - 1
    WHERE id = OLD.pdp_piece_ref_id AND OLD.pdp_piece_ref_id IS NOT NULL;
    -- Increment the new reference, if any.
    UPDATE pdp_piecerefs
    SET proofset_refcount = proofset_refcount + 1
    WHERE id = NEW.pdp_piece_ref_id AND NEW.pdp_piece_ref_id IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_create_message_status_change
AFTER UPDATE OF tx_status, tx_success ON message_waits_eth
FOR EACH ROW
WHEN (OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed'))
BEGIN
    UPDATE pdp_proofset_creates
    SET ok = CASE
                WHEN NEW.tx_status = 'failed' OR NEW.tx_success = 0 THEN 0
                WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = 1 THEN 1
                ELSE ok
            END
    WHERE create_message_hash = NEW.signed_tx_hash
      AND proofset_created = 0;
END;
--> statement-breakpoint
CREATE TRIGGER pdp_proofset_add_message_status_change
AFTER UPDATE OF tx_status, tx_success ON message_waits_eth
FOR EACH ROW
WHEN (OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed'))
BEGIN
    UPDATE pdp_proofset_root_adds
    SET add_message_ok = CASE
                            WHEN NEW.tx_status = 'failed' OR NEW.tx_success = 0 THEN 0
                            WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = 1 THEN 1
                            ELSE add_message_ok
                         END
    WHERE add_message_hash = NEW.signed_tx_hash;
END;
