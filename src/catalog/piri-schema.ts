/**
 * The schema Piri v0.2.4 (storacha/piri b94c8117) creates, as the SQL it runs (docs/data-model.md §4.2, §4.4, §6,
 * Appendix A and B): the job-queue scripts verbatim in substance, the scheduler as GORM AutoMigrate emits it, and
 * the trigger scripts. adopt runs it into a scratch database to learn the shape an installation must have before
 * anything in it is changed (fingerprint.ts). Unqualified names throughout, as in Piri: on Postgres it runs with
 * search_path set to the scratch schema.
 */
import type { Dialect, StoreName } from './registry.ts';

export const PIRI_VERSION = 'v0.2.4';

const QUEUE_SQLITE = [
  `CREATE TABLE IF NOT EXISTS jobqueue (
    id TEXT PRIMARY KEY DEFAULT ('m_' || lower(hex(randomblob(16)))),
    created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    timeout TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')),
    received INTEGER NOT NULL DEFAULT 0
  ) STRICT`,
  `CREATE TRIGGER IF NOT EXISTS jobqueue_updated_timestamp AFTER UPDATE ON jobqueue BEGIN
    UPDATE jobqueue SET updated = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = old.id;
  END`,
  `CREATE INDEX IF NOT EXISTS jobqueue_queue_created_idx ON jobqueue (queue, created)`,
  `CREATE TABLE IF NOT EXISTS jobqueue_dead (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    queue TEXT NOT NULL,
    body BLOB NOT NULL,
    timeout TEXT NOT NULL,
    received INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    failure_reason TEXT NOT NULL,
    error_message TEXT NOT NULL,
    moved_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ'))
  ) STRICT`,
  `CREATE INDEX IF NOT EXISTS jobqueue_dead_queue_moved_at_idx ON jobqueue_dead (queue, moved_at)`,
];

const DEDUP_SQLITE = [
  `CREATE TABLE IF NOT EXISTS queues (queue TEXT PRIMARY KEY, dedupe_enabled INTEGER NOT NULL DEFAULT 0) STRICT`,
  `CREATE TABLE IF NOT EXISTS job_ns (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (queue, name)) STRICT`,
  `CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    ns_id INTEGER NOT NULL REFERENCES job_ns(id),
    key BLOB NOT NULL,
    body BLOB NOT NULL,
    created_s INTEGER NOT NULL DEFAULT (strftime('%s')),
    avail_s INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  ) STRICT`,
  `CREATE UNIQUE INDEX IF NOT EXISTS jobs_unique_live ON jobs (ns_id, key)`,
  `CREATE INDEX IF NOT EXISTS jobs_claim_idx ON jobs (ns_id, avail_s, id)`,
  `CREATE TABLE IF NOT EXISTS job_done (
    ns_id INTEGER NOT NULL,
    key BLOB NOT NULL,
    status INTEGER NOT NULL,
    done_s INTEGER NOT NULL DEFAULT (strftime('%s')),
    PRIMARY KEY (ns_id, key)
  ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS job_dead (
    id INTEGER PRIMARY KEY,
    ns_id INTEGER NOT NULL REFERENCES job_ns(id),
    key BLOB NOT NULL,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    error TEXT NOT NULL,
    moved_s INTEGER NOT NULL DEFAULT (strftime('%s'))
  ) STRICT`,
];

const SCHEDULER_SQLITE = [
  'CREATE TABLE `task` (`id` integer PRIMARY KEY AUTOINCREMENT,`initiated_by` integer,`update_time` datetime NOT NULL DEFAULT current_timestamp,`posted_time` datetime NOT NULL,`session_id` text,`added_by` text NOT NULL,`previous_task` integer,`name` text NOT NULL,`retries` integer NOT NULL)',
  'CREATE TABLE `task_history` (`id` integer PRIMARY KEY AUTOINCREMENT,`task_id` integer NOT NULL,`name` text NOT NULL,`posted` datetime NOT NULL,`work_start` datetime NOT NULL,`work_end` datetime NOT NULL,`result` numeric NOT NULL,`err` text,`completed_by_session_id` text NOT NULL)',
  'CREATE TABLE `parked_pieces` (`id` integer PRIMARY KEY AUTOINCREMENT,`created_at` datetime DEFAULT current_timestamp,`piece_cid` text NOT NULL,`piece_padded_size` integer NOT NULL,`piece_raw_size` integer NOT NULL,`complete` numeric NOT NULL DEFAULT false,`task_id` integer,`cleanup_task_id` integer,`long_term` numeric NOT NULL DEFAULT false,CONSTRAINT `fk_parked_pieces_task` FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL,CONSTRAINT `fk_parked_pieces_cleanup_task` FOREIGN KEY (`cleanup_task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL)',
  'CREATE UNIQUE INDEX `idx_piece_cid_padded_longterm_cleanup` ON `parked_pieces`(`piece_cid`,`piece_padded_size`,`cleanup_task_id`,`long_term`)',
  "CREATE TABLE `parked_piece_refs` (`ref_id` integer PRIMARY KEY AUTOINCREMENT,`piece_id` integer NOT NULL,`data_url` text,`data_headers` JSON NOT NULL DEFAULT '{}',`long_term` numeric NOT NULL DEFAULT false,CONSTRAINT `fk_parked_piece_refs_parked_piece` FOREIGN KEY (`piece_id`) REFERENCES `parked_pieces`(`id`) ON DELETE CASCADE)",
  'CREATE TABLE `pdp_piece_uploads` (`id` uuid,`service` text NOT NULL,`check_hash_codec` text NOT NULL,`check_hash` blob NOT NULL,`check_size` integer NOT NULL,`piece_cid` text,`notify_url` text NOT NULL,`notify_task_id` integer,`piece_ref` integer,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`id`),CONSTRAINT `fk_pdp_piece_uploads_parked_piece_ref` FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON DELETE SET NULL)',
  'CREATE TABLE `pdp_piecerefs` (`id` integer PRIMARY KEY AUTOINCREMENT,`service` text NOT NULL,`piece_cid` text NOT NULL,`piece_ref` integer,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,`proofset_refcount` integer NOT NULL DEFAULT 0,CONSTRAINT `fk_pdp_piecerefs_parked_piece_ref` FOREIGN KEY (`piece_ref`) REFERENCES `parked_piece_refs`(`ref_id`) ON DELETE CASCADE)',
  'CREATE TABLE `pdp_piece_mh_to_commp` (`mhash` blob,`size` integer NOT NULL,`commp` text NOT NULL,PRIMARY KEY (`mhash`))',
  'CREATE TABLE `pdp_proof_sets` (`id` integer PRIMARY KEY AUTOINCREMENT,`prev_challenge_request_epoch` integer,`challenge_request_task_id` integer,`challenge_request_msg_hash` text,`proving_period` integer,`challenge_window` integer,`prove_at_epoch` integer,`init_ready` numeric NOT NULL DEFAULT false,`create_message_hash` text NOT NULL,`service` text NOT NULL,CONSTRAINT `fk_pdp_proof_sets_challenge_request_task` FOREIGN KEY (`challenge_request_task_id`) REFERENCES `task`(`id`) ON DELETE SET NULL)',
  'CREATE TABLE `pdp_prove_tasks` (`proofset_id` integer,`task_id` integer,PRIMARY KEY (`proofset_id`,`task_id`),CONSTRAINT `fk_pdp_prove_tasks_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_prove_tasks_prove_task` FOREIGN KEY (`task_id`) REFERENCES `task`(`id`) ON DELETE CASCADE)',
  'CREATE TABLE `message_waits_eth` (`waiter_machine_id` integer,`signed_tx_hash` text NOT NULL,`confirmed_block_number` integer,`confirmed_tx_hash` text,`confirmed_tx_data` JSON,`tx_status` text,`tx_receipt` JSON,`tx_success` numeric,PRIMARY KEY (`signed_tx_hash`))',
  'CREATE TABLE `pdp_proofset_creates` (`create_message_hash` text,`ok` numeric,`proofset_created` numeric NOT NULL DEFAULT false,`service` text NOT NULL,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`create_message_hash`),CONSTRAINT `fk_pdp_proofset_creates_message_wait` FOREIGN KEY (`create_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE)',
  'CREATE TABLE `pdp_proofset_roots` (`proofset_id` integer,`root_id` integer,`subroot_offset` integer,`root` text NOT NULL,`add_message_hash` text NOT NULL,`add_message_index` integer,`subroot` text NOT NULL,`subroot_offset_val` integer,`subroot_size` integer,`pdp_piece_ref_id` integer,PRIMARY KEY (`proofset_id`,`root_id`,`subroot_offset`),CONSTRAINT `fk_pdp_proofset_roots_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_roots_add_message_wait` FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_roots_pdp_piece_ref` FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON DELETE SET NULL)',
  'CREATE TABLE `pdp_proofset_root_adds` (`proofset_id` integer,`add_message_hash` text,`subroot_offset` integer,`root` text,`add_message_ok` numeric,`add_message_index` integer,`subroot` text NOT NULL,`subroot_size` integer,`pdp_piece_ref_id` integer,PRIMARY KEY (`proofset_id`,`subroot_offset`,`root`),CONSTRAINT `fk_pdp_proofset_root_adds_proof_set` FOREIGN KEY (`proofset_id`) REFERENCES `pdp_proof_sets`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_root_adds_add_message_wait` FOREIGN KEY (`add_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE,CONSTRAINT `fk_pdp_proofset_root_adds_pdp_piece_ref` FOREIGN KEY (`pdp_piece_ref_id`) REFERENCES `pdp_piecerefs`(`id`) ON DELETE SET NULL)',
  'CREATE TABLE `pdp_provider_registrations` (`register_message_hash` text,`ok` numeric,`provider_registered` numeric NOT NULL DEFAULT false,`provider_id` integer,`service` text NOT NULL,`created_at` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY (`register_message_hash`),CONSTRAINT `fk_pdp_provider_registrations_message_wait` FOREIGN KEY (`register_message_hash`) REFERENCES `message_waits_eth`(`signed_tx_hash`) ON DELETE CASCADE)',
  'CREATE TABLE `message_sends_eth` (`from_address` text NOT NULL,`to_address` text NOT NULL,`send_reason` text NOT NULL,`send_task_id` integer PRIMARY KEY AUTOINCREMENT,`unsigned_tx` blob NOT NULL,`unsigned_hash` text NOT NULL,`nonce` integer,`signed_tx` blob,`signed_hash` text,`send_time` datetime,`send_success` numeric,`send_error` text)',
  'CREATE TABLE `message_send_eth_locks` (`from_address` text NOT NULL,`task_id` integer NOT NULL,`claimed_at` datetime NOT NULL,PRIMARY KEY (`from_address`))',
  'CREATE TABLE `rail_settlement_waits` (`rail_id` text NOT NULL,`signed_tx_hash` text NOT NULL,`created_at` datetime,PRIMARY KEY (`rail_id`))',
  'CREATE UNIQUE INDEX `idx_rail_settlement_waits_signed_tx_hash` ON `rail_settlement_waits`(`signed_tx_hash`)',
  'CREATE TABLE `withdrawal_waits` (`id` integer PRIMARY KEY AUTOINCREMENT,`signed_tx_hash` text NOT NULL,`created_at` datetime)',
  'CREATE UNIQUE INDEX `idx_withdrawal_waits_signed_tx_hash` ON `withdrawal_waits`(`signed_tx_hash`)',
  // triggers.sqlite.sql
  `CREATE TRIGGER IF NOT EXISTS pdp_proofset_root_insert AFTER INSERT ON pdp_proofset_roots FOR EACH ROW
    WHEN NEW.pdp_piece_ref_id IS NOT NULL
  BEGIN
    UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount + 1 WHERE id = NEW.pdp_piece_ref_id;
  END`,
  `CREATE TRIGGER IF NOT EXISTS pdp_proofset_root_delete AFTER DELETE ON pdp_proofset_roots FOR EACH ROW
    WHEN OLD.pdp_piece_ref_id IS NOT NULL
  BEGIN
    UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount - 1 WHERE id = OLD.pdp_piece_ref_id;
  END`,
  `CREATE TRIGGER IF NOT EXISTS pdp_proofset_root_update AFTER UPDATE ON pdp_proofset_roots FOR EACH ROW
    WHEN OLD.pdp_piece_ref_id IS NOT NEW.pdp_piece_ref_id
  BEGIN
    UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount - 1 WHERE id = OLD.pdp_piece_ref_id AND OLD.pdp_piece_ref_id IS NOT NULL;
    UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount + 1 WHERE id = NEW.pdp_piece_ref_id AND NEW.pdp_piece_ref_id IS NOT NULL;
  END`,
  ...(['pdp_proofset_creates:create_message_hash:ok:pdp_proofset_create_message_status_change:AND proofset_created = 0', 'pdp_proofset_root_adds:add_message_hash:add_message_ok:pdp_proofset_add_message_status_change:'].map((spec) => {
    const [table, column, flag, name, extra] = spec.split(':');
    return `CREATE TRIGGER IF NOT EXISTS ${name} AFTER UPDATE OF tx_status, tx_success ON message_waits_eth FOR EACH ROW
      WHEN OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed')
    BEGIN
      UPDATE ${table} SET ${flag} = CASE
          WHEN NEW.tx_status = 'failed' OR NEW.tx_success = 0 THEN 0
          WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = 1 THEN 1
          ELSE ${flag} END
      WHERE ${column} = NEW.signed_tx_hash ${extra};
    END`;
  })),
];

const QUEUE_POSTGRES = [
  `CREATE TABLE IF NOT EXISTS jobqueue (
    id TEXT PRIMARY KEY DEFAULT ('m_' || replace(gen_random_uuid()::text, '-', '')),
    created TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    queue TEXT NOT NULL,
    body BYTEA NOT NULL,
    timeout TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    received INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE INDEX IF NOT EXISTS jobqueue_queue_created_idx ON jobqueue (queue, created)`,
  `CREATE TABLE IF NOT EXISTS jobqueue_dead (
    id TEXT PRIMARY KEY,
    created TIMESTAMPTZ NOT NULL,
    updated TIMESTAMPTZ NOT NULL,
    queue TEXT NOT NULL,
    body BYTEA NOT NULL,
    timeout TIMESTAMPTZ NOT NULL,
    received INTEGER NOT NULL,
    job_name TEXT NOT NULL,
    failure_reason TEXT NOT NULL,
    error_message TEXT NOT NULL,
    moved_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
  )`,
  `CREATE INDEX IF NOT EXISTS jobqueue_dead_queue_moved_at_idx ON jobqueue_dead (queue, moved_at)`,
  `CREATE OR REPLACE FUNCTION jobqueue_update_timestamp() RETURNS TRIGGER AS $$
  BEGIN
    NEW.updated = NOW();
    RETURN NEW;
  END;
  $$ LANGUAGE plpgsql`,
  `DROP TRIGGER IF EXISTS jobqueue_updated_timestamp ON jobqueue`,
  `CREATE TRIGGER jobqueue_updated_timestamp BEFORE UPDATE ON jobqueue FOR EACH ROW EXECUTE FUNCTION jobqueue_update_timestamp()`,
];

const DEDUP_POSTGRES = [
  `CREATE TABLE IF NOT EXISTS queues (queue TEXT PRIMARY KEY, dedupe_enabled INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS job_ns (id SERIAL PRIMARY KEY, queue TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (queue, name))`,
  `CREATE TABLE IF NOT EXISTS jobs (
    id SERIAL PRIMARY KEY,
    ns_id INTEGER NOT NULL REFERENCES job_ns(id),
    key BYTEA NOT NULL,
    body BYTEA NOT NULL,
    created_s BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW())::BIGINT,
    avail_s BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
  )`,
  `CREATE UNIQUE INDEX IF NOT EXISTS jobs_unique_live ON jobs (ns_id, key)`,
  `CREATE INDEX IF NOT EXISTS jobs_claim_idx ON jobs (ns_id, avail_s, id)`,
  `CREATE TABLE IF NOT EXISTS job_done (
    ns_id INTEGER NOT NULL,
    key BYTEA NOT NULL,
    status INTEGER NOT NULL,
    done_s BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW())::BIGINT,
    PRIMARY KEY (ns_id, key)
  )`,
  `CREATE TABLE IF NOT EXISTS job_dead (
    id SERIAL PRIMARY KEY,
    ns_id INTEGER NOT NULL REFERENCES job_ns(id),
    key BYTEA NOT NULL,
    body BYTEA NOT NULL,
    attempts INTEGER NOT NULL,
    reason TEXT NOT NULL,
    error TEXT NOT NULL,
    moved_s BIGINT NOT NULL DEFAULT EXTRACT(EPOCH FROM NOW())::BIGINT
  )`,
];

/** The scheduler as GORM's postgres dialect writes it: the SQLite DDL's substitutions (Appendix A). */
const SCHEDULER_POSTGRES = [
  'CREATE TABLE "task" ("id" bigserial,"initiated_by" bigint,"update_time" timestamptz NOT NULL DEFAULT current_timestamp,"posted_time" timestamptz NOT NULL,"session_id" text,"added_by" text NOT NULL,"previous_task" bigint,"name" varchar(16) NOT NULL,"retries" bigint NOT NULL,PRIMARY KEY ("id"))',
  `COMMENT ON COLUMN "task"."initiated_by" IS 'The task ID whose completion occasioned this task'`,
  `COMMENT ON COLUMN "task"."update_time" IS 'When it was last modified. not a heartbeat'`,
  `COMMENT ON COLUMN "task"."session_id" IS 'may be null if not yet taken'`,
  `COMMENT ON COLUMN "task"."name" IS 'The name of the task type'`,
  'CREATE TABLE "task_history" ("id" bigserial,"task_id" bigint NOT NULL,"name" varchar(16) NOT NULL,"posted" timestamptz NOT NULL,"work_start" timestamptz NOT NULL,"work_end" timestamptz NOT NULL,"result" boolean NOT NULL,"err" text,"completed_by_session_id" varchar(300) NOT NULL,PRIMARY KEY ("id"))',
  `COMMENT ON COLUMN "task_history"."result" IS 'Use to determine if this was a successful run.'`,
  'CREATE TABLE "parked_pieces" ("id" bigserial,"created_at" timestamptz DEFAULT current_timestamp,"piece_cid" text NOT NULL,"piece_padded_size" bigint NOT NULL,"piece_raw_size" bigint NOT NULL,"complete" boolean NOT NULL DEFAULT false,"task_id" bigint,"cleanup_task_id" bigint,"long_term" boolean NOT NULL DEFAULT false,PRIMARY KEY ("id"),CONSTRAINT "fk_parked_pieces_task" FOREIGN KEY ("task_id") REFERENCES "task"("id") ON DELETE SET NULL,CONSTRAINT "fk_parked_pieces_cleanup_task" FOREIGN KEY ("cleanup_task_id") REFERENCES "task"("id") ON DELETE SET NULL)',
  'CREATE UNIQUE INDEX IF NOT EXISTS "idx_piece_cid_padded_longterm_cleanup" ON "parked_pieces" ("piece_cid","piece_padded_size","cleanup_task_id","long_term")',
  `CREATE TABLE "parked_piece_refs" ("ref_id" bigserial,"piece_id" bigint NOT NULL,"data_url" text,"data_headers" JSONB NOT NULL DEFAULT '{}',"long_term" boolean NOT NULL DEFAULT false,PRIMARY KEY ("ref_id"),CONSTRAINT "fk_parked_piece_refs_parked_piece" FOREIGN KEY ("piece_id") REFERENCES "parked_pieces"("id") ON DELETE CASCADE)`,
  'CREATE TABLE "pdp_piece_uploads" ("id" uuid,"service" text NOT NULL,"check_hash_codec" text NOT NULL,"check_hash" bytea NOT NULL,"check_size" bigint NOT NULL,"piece_cid" text,"notify_url" text NOT NULL,"notify_task_id" bigint,"piece_ref" bigint,"created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY ("id"),CONSTRAINT "fk_pdp_piece_uploads_parked_piece_ref" FOREIGN KEY ("piece_ref") REFERENCES "parked_piece_refs"("ref_id") ON DELETE SET NULL)',
  'CREATE TABLE "pdp_piecerefs" ("id" bigserial,"service" text NOT NULL,"piece_cid" text NOT NULL,"piece_ref" bigint,"created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,"proofset_refcount" bigint NOT NULL DEFAULT 0,PRIMARY KEY ("id"),CONSTRAINT "fk_pdp_piecerefs_parked_piece_ref" FOREIGN KEY ("piece_ref") REFERENCES "parked_piece_refs"("ref_id") ON DELETE CASCADE)',
  'CREATE TABLE "pdp_piece_mh_to_commp" ("mhash" bytea,"size" bigint NOT NULL,"commp" text NOT NULL,PRIMARY KEY ("mhash"))',
  'CREATE TABLE "pdp_proof_sets" ("id" bigserial,"prev_challenge_request_epoch" bigint,"challenge_request_task_id" bigint,"challenge_request_msg_hash" text,"proving_period" bigint,"challenge_window" bigint,"prove_at_epoch" bigint,"init_ready" boolean NOT NULL DEFAULT false,"create_message_hash" text NOT NULL,"service" text NOT NULL,PRIMARY KEY ("id"),CONSTRAINT "fk_pdp_proof_sets_challenge_request_task" FOREIGN KEY ("challenge_request_task_id") REFERENCES "task"("id") ON DELETE SET NULL)',
  'CREATE TABLE "pdp_prove_tasks" ("proofset_id" bigint,"task_id" bigint,PRIMARY KEY ("proofset_id","task_id"),CONSTRAINT "fk_pdp_prove_tasks_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "pdp_proof_sets"("id") ON DELETE CASCADE,CONSTRAINT "fk_pdp_prove_tasks_prove_task" FOREIGN KEY ("task_id") REFERENCES "task"("id") ON DELETE CASCADE)',
  'CREATE TABLE "message_waits_eth" ("waiter_machine_id" bigint,"signed_tx_hash" text NOT NULL,"confirmed_block_number" bigint,"confirmed_tx_hash" text,"confirmed_tx_data" JSONB,"tx_status" text,"tx_receipt" JSONB,"tx_success" boolean,PRIMARY KEY ("signed_tx_hash"))',
  'CREATE TABLE "pdp_proofset_creates" ("create_message_hash" text,"ok" boolean,"proofset_created" boolean NOT NULL DEFAULT false,"service" text NOT NULL,"created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY ("create_message_hash"),CONSTRAINT "fk_pdp_proofset_creates_message_wait" FOREIGN KEY ("create_message_hash") REFERENCES "message_waits_eth"("signed_tx_hash") ON DELETE CASCADE)',
  'CREATE TABLE "pdp_proofset_roots" ("proofset_id" bigint,"root_id" bigint,"subroot_offset" bigint,"root" text NOT NULL,"add_message_hash" text NOT NULL,"add_message_index" bigint,"subroot" text NOT NULL,"subroot_offset_val" bigint,"subroot_size" bigint,"pdp_piece_ref_id" bigint,PRIMARY KEY ("proofset_id","root_id","subroot_offset"),CONSTRAINT "fk_pdp_proofset_roots_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "pdp_proof_sets"("id") ON DELETE CASCADE,CONSTRAINT "fk_pdp_proofset_roots_add_message_wait" FOREIGN KEY ("add_message_hash") REFERENCES "message_waits_eth"("signed_tx_hash") ON DELETE CASCADE,CONSTRAINT "fk_pdp_proofset_roots_pdp_piece_ref" FOREIGN KEY ("pdp_piece_ref_id") REFERENCES "pdp_piecerefs"("id") ON DELETE SET NULL)',
  'CREATE TABLE "pdp_proofset_root_adds" ("proofset_id" bigint,"add_message_hash" text,"subroot_offset" bigint,"root" text,"add_message_ok" boolean,"add_message_index" bigint,"subroot" text NOT NULL,"subroot_size" bigint,"pdp_piece_ref_id" bigint,PRIMARY KEY ("proofset_id","subroot_offset","root"),CONSTRAINT "fk_pdp_proofset_root_adds_proof_set" FOREIGN KEY ("proofset_id") REFERENCES "pdp_proof_sets"("id") ON DELETE CASCADE,CONSTRAINT "fk_pdp_proofset_root_adds_add_message_wait" FOREIGN KEY ("add_message_hash") REFERENCES "message_waits_eth"("signed_tx_hash") ON DELETE CASCADE,CONSTRAINT "fk_pdp_proofset_root_adds_pdp_piece_ref" FOREIGN KEY ("pdp_piece_ref_id") REFERENCES "pdp_piecerefs"("id") ON DELETE SET NULL)',
  'CREATE TABLE "pdp_provider_registrations" ("register_message_hash" text,"ok" boolean,"provider_registered" boolean NOT NULL DEFAULT false,"provider_id" bigint,"service" text NOT NULL,"created_at" timestamptz NOT NULL DEFAULT CURRENT_TIMESTAMP,PRIMARY KEY ("register_message_hash"),CONSTRAINT "fk_pdp_provider_registrations_message_wait" FOREIGN KEY ("register_message_hash") REFERENCES "message_waits_eth"("signed_tx_hash") ON DELETE CASCADE)',
  'CREATE TABLE "message_sends_eth" ("from_address" text NOT NULL,"to_address" text NOT NULL,"send_reason" text NOT NULL,"send_task_id" bigserial,"unsigned_tx" bytea NOT NULL,"unsigned_hash" text NOT NULL,"nonce" bigint,"signed_tx" bytea,"signed_hash" text,"send_time" timestamptz,"send_success" boolean,"send_error" text,PRIMARY KEY ("send_task_id"))',
  'CREATE TABLE "message_send_eth_locks" ("from_address" text NOT NULL,"task_id" bigint NOT NULL,"claimed_at" timestamptz NOT NULL,PRIMARY KEY ("from_address"))',
  'CREATE TABLE "rail_settlement_waits" ("rail_id" text NOT NULL,"signed_tx_hash" text NOT NULL,"created_at" timestamptz,PRIMARY KEY ("rail_id"))',
  'CREATE UNIQUE INDEX IF NOT EXISTS "idx_rail_settlement_waits_signed_tx_hash" ON "rail_settlement_waits" ("signed_tx_hash")',
  'CREATE TABLE "withdrawal_waits" ("id" bigserial,"signed_tx_hash" text NOT NULL,"created_at" timestamptz,PRIMARY KEY ("id"))',
  'CREATE UNIQUE INDEX IF NOT EXISTS "idx_withdrawal_waits_signed_tx_hash" ON "withdrawal_waits" ("signed_tx_hash")',
  // triggers.postgres.sql: functions resolved through search_path, triggers created once.
  ...[
    ['increment_proofset_refcount', 'UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount + 1 WHERE id = NEW.pdp_piece_ref_id; RETURN NEW;'],
    ['decrement_proofset_refcount', 'UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount - 1 WHERE id = OLD.pdp_piece_ref_id; RETURN OLD;'],
    [
      'adjust_proofset_refcount_on_update',
      `IF OLD.pdp_piece_ref_id IS DISTINCT FROM NEW.pdp_piece_ref_id THEN
        IF OLD.pdp_piece_ref_id IS NOT NULL THEN UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount - 1 WHERE id = OLD.pdp_piece_ref_id; END IF;
        IF NEW.pdp_piece_ref_id IS NOT NULL THEN UPDATE pdp_piecerefs SET proofset_refcount = proofset_refcount + 1 WHERE id = NEW.pdp_piece_ref_id; END IF;
      END IF;
      RETURN NEW;`,
    ],
    ...(
      [
        ['update_pdp_proofset_creates', 'pdp_proofset_creates', 'ok', 'create_message_hash', 'AND proofset_created = FALSE'],
        ['update_pdp_proofset_roots', 'pdp_proofset_root_adds', 'add_message_ok', 'add_message_hash', ''],
      ] as const
    ).map(([fn, table, flag, column, extra]) => [
      fn,
      `IF OLD.tx_status = 'pending' AND (NEW.tx_status = 'confirmed' OR NEW.tx_status = 'failed') THEN
        UPDATE ${table} SET ${flag} = CASE
            WHEN NEW.tx_status = 'failed' OR NEW.tx_success = FALSE THEN FALSE
            WHEN NEW.tx_status = 'confirmed' AND NEW.tx_success = TRUE THEN TRUE
            ELSE ${flag} END
        WHERE ${column} = NEW.signed_tx_hash ${extra};
      END IF;
      RETURN NEW;`,
    ]),
  ].map(([name, body]) => `CREATE OR REPLACE FUNCTION ${name}() RETURNS TRIGGER AS $$ BEGIN ${body} END; $$ LANGUAGE plpgsql`),
  `CREATE TRIGGER pdp_proofset_root_insert AFTER INSERT ON pdp_proofset_roots FOR EACH ROW WHEN (NEW.pdp_piece_ref_id IS NOT NULL) EXECUTE FUNCTION increment_proofset_refcount()`,
  `CREATE TRIGGER pdp_proofset_root_delete AFTER DELETE ON pdp_proofset_roots FOR EACH ROW WHEN (OLD.pdp_piece_ref_id IS NOT NULL) EXECUTE FUNCTION decrement_proofset_refcount()`,
  `CREATE TRIGGER pdp_proofset_root_update AFTER UPDATE ON pdp_proofset_roots FOR EACH ROW EXECUTE FUNCTION adjust_proofset_refcount_on_update()`,
  `CREATE TRIGGER pdp_proofset_create_message_status_change AFTER UPDATE OF tx_status, tx_success ON message_waits_eth FOR EACH ROW EXECUTE FUNCTION update_pdp_proofset_creates()`,
  `CREATE TRIGGER pdp_proofset_add_message_status_change AFTER UPDATE OF tx_status, tx_success ON message_waits_eth FOR EACH ROW EXECUTE FUNCTION update_pdp_proofset_roots()`,
];

/** Each store's DDL as Piri runs it at boot, in order (aggregator: the plain script, then the dedup script). */
export const PIRI_SCHEMA: Readonly<Record<Dialect, Readonly<Record<StoreName, readonly string[]>>>> = {
  sqlite: {
    scheduler: SCHEDULER_SQLITE,
    replicator: QUEUE_SQLITE,
    aggregator: [...QUEUE_SQLITE, ...DEDUP_SQLITE],
    egress_tracker: QUEUE_SQLITE,
  },
  postgres: {
    scheduler: SCHEDULER_POSTGRES,
    replicator: QUEUE_POSTGRES,
    aggregator: [...QUEUE_POSTGRES, ...DEDUP_POSTGRES],
    egress_tracker: QUEUE_POSTGRES,
  },
};

/** The tables Piri creates in a store (every one of them, together, when it starts): how its installations are recognised. */
export function piriTables(store: StoreName): readonly string[] {
  return PIRI_SCHEMA.sqlite[store].flatMap((statement) => [...statement.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?[`"]?(\w+)/g)].map((m) => m[1]!));
}
