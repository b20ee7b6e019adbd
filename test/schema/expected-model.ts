/**
 * The data model (docs/data-model.md §4.2, §4.4, §6.2, §6.3 and Appendix A, which points here), column by column,
 * written down as data and independently of schema/: the introspection test compares every booted store to it.
 *
 * Deliberate deviations from Piri that piri-db makes, and that this model expects:
 *  - primary-key columns are NOT NULL on SQLite too (Piri leaves composite/text PK parts nullable there);
 *  - jobs.id and job_dead.id are AUTOINCREMENT on SQLite (Piri: plain rowid, ids reused after the queue drains);
 *  - on Postgres each store's trigger functions live in the store's own schema, and the scheduler's are named
 *    piri_db_<Piri's name>, so that Piri's trigger script, which replaces its own five, leaves them alone.
 */
import type { Dialect } from '../../src/catalog/registry.ts';

/** Dialect-neutral type classes; `reportedType` maps them to what each dialect's catalogue reports. */
export type TypeClass =
  | 'int32' // SQLite integer, PG integer (queue counters, SERIAL ids)
  | 'int64' // SQLite integer, PG bigint
  | 'text'
  | 'blob'
  | 'bool' // SQLite numeric (0/1), PG boolean
  | 'datetime' // GORM time: SQLite datetime, PG timestamptz
  | 'isoText' // queue timestamps: SQLite text (ISO-8601 UTC ms 'Z'), PG timestamptz
  | 'json' // SQLite JSON, PG jsonb
  | 'uuid'
  | { varchar: number }; // SQLite text, PG varchar(n)

export function reportedType(type: TypeClass, dialect: Dialect): string {
  if (typeof type === 'object') return dialect === 'sqlite' ? 'text' : `character varying(${type.varchar})`;
  const map: Record<Exclude<TypeClass, object>, [sqlite: string, postgres: string]> = {
    int32: ['integer', 'integer'],
    int64: ['integer', 'bigint'],
    text: ['text', 'text'],
    blob: ['blob', 'bytea'],
    bool: ['numeric', 'boolean'],
    datetime: ['datetime', 'timestamp with time zone'],
    isoText: ['text', 'timestamp with time zone'],
    json: ['json', 'jsonb'],
    uuid: ['uuid', 'uuid'],
  };
  return map[type][dialect === 'sqlite' ? 0 : 1];
}

export interface ColumnSpec {
  readonly type: TypeClass;
  readonly notNull: boolean;
  /** Has a DB default (other than the id sequence). */
  readonly hasDefault: boolean;
  /** Generated id: PG serial/bigserial (nextval default); SQLite INTEGER PRIMARY KEY (rowid alias). */
  readonly auto: boolean;
}

export type OnDelete = 'NO ACTION' | 'CASCADE' | 'SET NULL';

export interface ForeignKeySpec {
  /** Postgres constraint name; undefined = not named by the data model (SQLite never keeps FK names). */
  readonly name?: string;
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
  readonly onDelete: OnDelete;
}

export interface IndexSpec {
  /** undefined = any name (the data model only names the columns). */
  readonly name?: string;
  readonly columns: readonly string[];
}

export interface TableSpec {
  /** In the data model's column order. */
  readonly columns: Readonly<Record<string, ColumnSpec>>;
  readonly primaryKey: readonly string[];
  readonly unique: readonly IndexSpec[];
  readonly indexes: readonly IndexSpec[];
  readonly foreignKeys: readonly ForeignKeySpec[];
  /** SQLite table options, from sqlite_master.sql. */
  readonly sqlite: { readonly strict: boolean; readonly withoutRowid: boolean; readonly autoincrement: boolean };
}

export interface TriggerSpec {
  readonly name: string;
  readonly table: string;
  readonly timing: Readonly<Record<Dialect, 'BEFORE' | 'AFTER'>>;
  readonly event: 'INSERT' | 'UPDATE' | 'DELETE';
  /** `UPDATE OF ...` columns, where the data model states them. */
  readonly updateOf?: readonly string[];
  /** Postgres: the function the trigger executes (it must live in the store's schema). */
  readonly pgFunction: string;
}

export interface StoreSpec {
  readonly tables: Readonly<Record<string, TableSpec>>;
  readonly triggers: readonly TriggerSpec[];
  /** SQLite keeps sqlite_sequence iff some table uses AUTOINCREMENT. */
  readonly sqliteSequence: boolean;
}

// ---- small builders ------------------------------------------------------------------------------------------

type ColumnOptions = { default?: true; auto?: true };
const notNull = (type: TypeClass, o: ColumnOptions = {}): ColumnSpec => ({ type, notNull: true, hasDefault: !!o.default, auto: !!o.auto });
const nullable = (type: TypeClass, o: ColumnOptions = {}): ColumnSpec => ({ type, notNull: false, hasDefault: !!o.default, auto: !!o.auto });

function table(spec: Partial<Omit<TableSpec, 'sqlite'>> & Pick<TableSpec, 'columns' | 'primaryKey'> & { sqlite?: Partial<TableSpec['sqlite']> }): TableSpec {
  return {
    unique: [],
    indexes: [],
    foreignKeys: [],
    ...spec,
    sqlite: { strict: false, withoutRowid: false, autoincrement: false, ...spec.sqlite },
  };
}

const fk = (name: string | undefined, column: string, refTable: string, refColumn: string, onDelete: OnDelete): ForeignKeySpec => ({
  ...(name ? { name } : {}),
  columns: [column],
  references: { table: refTable, columns: [refColumn] },
  onDelete,
});

/** GORM-style integer id: bigserial on PG, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite. */
const gormId = notNull('int64', { auto: true });
const AUTOINC = { autoincrement: true } as const;

// ---- scheduler (section 6.2, Appendix A) ---------------------------------------------------------------------

const scheduler: StoreSpec = {
  sqliteSequence: true,
  tables: {
    task: table({
      columns: {
        id: gormId,
        initiated_by: nullable('int64'),
        update_time: notNull('datetime', { default: true }),
        posted_time: notNull('datetime'),
        session_id: nullable('text'),
        added_by: notNull('text'),
        previous_task: nullable('int64'),
        name: notNull({ varchar: 16 }),
        retries: notNull('int64'), // no default: the app inserts 0 (section 10 item 17)
      },
      primaryKey: ['id'],
      sqlite: AUTOINC,
    }),
    task_history: table({
      columns: {
        id: gormId,
        task_id: notNull('int64'),
        name: notNull({ varchar: 16 }),
        posted: notNull('datetime'),
        work_start: notNull('datetime'),
        work_end: notNull('datetime'),
        result: notNull('bool'),
        err: nullable('text'),
        completed_by_session_id: notNull({ varchar: 300 }),
      },
      primaryKey: ['id'],
      sqlite: AUTOINC,
    }),
    parked_pieces: table({
      columns: {
        id: gormId,
        created_at: nullable('datetime', { default: true }),
        piece_cid: notNull('text'),
        piece_padded_size: notNull('int64'),
        piece_raw_size: notNull('int64'),
        complete: notNull('bool', { default: true }),
        task_id: nullable('int64'),
        cleanup_task_id: nullable('int64'),
        long_term: notNull('bool', { default: true }),
      },
      primaryKey: ['id'],
      unique: [{ name: 'idx_piece_cid_padded_longterm_cleanup', columns: ['piece_cid', 'piece_padded_size', 'cleanup_task_id', 'long_term'] }],
      foreignKeys: [
        fk('fk_parked_pieces_task', 'task_id', 'task', 'id', 'SET NULL'),
        fk('fk_parked_pieces_cleanup_task', 'cleanup_task_id', 'task', 'id', 'SET NULL'),
      ],
      sqlite: AUTOINC,
    }),
    parked_piece_refs: table({
      columns: {
        ref_id: gormId,
        piece_id: notNull('int64'),
        data_url: nullable('text'),
        data_headers: notNull('json', { default: true }),
        long_term: notNull('bool', { default: true }),
      },
      primaryKey: ['ref_id'],
      foreignKeys: [fk('fk_parked_piece_refs_parked_piece', 'piece_id', 'parked_pieces', 'id', 'CASCADE')],
      sqlite: AUTOINC,
    }),
    pdp_piece_uploads: table({
      columns: {
        id: notNull('uuid'),
        service: notNull('text'),
        check_hash_codec: notNull('text'),
        check_hash: notNull('blob'),
        check_size: notNull('int64'),
        piece_cid: nullable('text'),
        notify_url: notNull('text'),
        notify_task_id: nullable('int64'),
        piece_ref: nullable('int64'),
        created_at: notNull('datetime', { default: true }),
      },
      primaryKey: ['id'],
      foreignKeys: [fk('fk_pdp_piece_uploads_parked_piece_ref', 'piece_ref', 'parked_piece_refs', 'ref_id', 'SET NULL')],
    }),
    pdp_piecerefs: table({
      columns: {
        id: gormId,
        service: notNull('text'),
        piece_cid: notNull('text'),
        piece_ref: nullable('int64'),
        created_at: notNull('datetime', { default: true }),
        proofset_refcount: notNull('int64', { default: true }),
      },
      primaryKey: ['id'],
      foreignKeys: [fk('fk_pdp_piecerefs_parked_piece_ref', 'piece_ref', 'parked_piece_refs', 'ref_id', 'CASCADE')],
      sqlite: AUTOINC,
    }),
    pdp_piece_mh_to_commp: table({
      columns: { mhash: notNull('blob'), size: notNull('int64'), commp: notNull('text') },
      primaryKey: ['mhash'],
    }),
    pdp_proof_sets: table({
      columns: {
        id: gormId,
        prev_challenge_request_epoch: nullable('int64'),
        challenge_request_task_id: nullable('int64'),
        challenge_request_msg_hash: nullable('text'),
        proving_period: nullable('int64'),
        challenge_window: nullable('int64'),
        prove_at_epoch: nullable('int64'),
        init_ready: notNull('bool', { default: true }),
        create_message_hash: notNull('text'),
        service: notNull('text'),
      },
      primaryKey: ['id'],
      foreignKeys: [fk('fk_pdp_proof_sets_challenge_request_task', 'challenge_request_task_id', 'task', 'id', 'SET NULL')],
      sqlite: AUTOINC,
    }),
    pdp_prove_tasks: table({
      columns: { proofset_id: notNull('int64'), task_id: notNull('int64') },
      primaryKey: ['proofset_id', 'task_id'],
      foreignKeys: [
        fk('fk_pdp_prove_tasks_proof_set', 'proofset_id', 'pdp_proof_sets', 'id', 'CASCADE'),
        fk('fk_pdp_prove_tasks_prove_task', 'task_id', 'task', 'id', 'CASCADE'),
      ],
    }),
    message_waits_eth: table({
      columns: {
        waiter_machine_id: nullable('int64'),
        signed_tx_hash: notNull('text'),
        confirmed_block_number: nullable('int64'),
        confirmed_tx_hash: nullable('text'),
        confirmed_tx_data: nullable('json'),
        tx_status: nullable('text'),
        tx_receipt: nullable('json'),
        tx_success: nullable('bool'),
      },
      primaryKey: ['signed_tx_hash'],
    }),
    pdp_proofset_creates: table({
      columns: {
        create_message_hash: notNull('text'),
        ok: nullable('bool'),
        proofset_created: notNull('bool', { default: true }),
        service: notNull('text'),
        created_at: notNull('datetime', { default: true }),
      },
      primaryKey: ['create_message_hash'],
      foreignKeys: [fk('fk_pdp_proofset_creates_message_wait', 'create_message_hash', 'message_waits_eth', 'signed_tx_hash', 'CASCADE')],
    }),
    pdp_proofset_roots: table({
      columns: {
        proofset_id: notNull('int64'),
        root_id: notNull('int64'),
        subroot_offset: notNull('int64'),
        root: notNull('text'),
        add_message_hash: notNull('text'),
        add_message_index: nullable('int64'),
        subroot: notNull('text'),
        subroot_offset_val: nullable('int64'),
        subroot_size: nullable('int64'),
        pdp_piece_ref_id: nullable('int64'),
      },
      primaryKey: ['proofset_id', 'root_id', 'subroot_offset'],
      foreignKeys: [
        fk('fk_pdp_proofset_roots_proof_set', 'proofset_id', 'pdp_proof_sets', 'id', 'CASCADE'),
        fk('fk_pdp_proofset_roots_add_message_wait', 'add_message_hash', 'message_waits_eth', 'signed_tx_hash', 'CASCADE'),
        fk('fk_pdp_proofset_roots_pdp_piece_ref', 'pdp_piece_ref_id', 'pdp_piecerefs', 'id', 'SET NULL'),
      ],
    }),
    pdp_proofset_root_adds: table({
      columns: {
        proofset_id: notNull('int64'),
        add_message_hash: nullable('text'),
        subroot_offset: notNull('int64'),
        root: notNull('text'),
        add_message_ok: nullable('bool'),
        add_message_index: nullable('int64'),
        subroot: notNull('text'),
        subroot_size: nullable('int64'),
        pdp_piece_ref_id: nullable('int64'),
      },
      primaryKey: ['proofset_id', 'subroot_offset', 'root'],
      foreignKeys: [
        fk('fk_pdp_proofset_root_adds_proof_set', 'proofset_id', 'pdp_proof_sets', 'id', 'CASCADE'),
        fk('fk_pdp_proofset_root_adds_add_message_wait', 'add_message_hash', 'message_waits_eth', 'signed_tx_hash', 'CASCADE'),
        fk('fk_pdp_proofset_root_adds_pdp_piece_ref', 'pdp_piece_ref_id', 'pdp_piecerefs', 'id', 'SET NULL'),
      ],
    }),
    pdp_provider_registrations: table({
      columns: {
        register_message_hash: notNull('text'),
        ok: nullable('bool'),
        provider_registered: notNull('bool', { default: true }),
        provider_id: nullable('int64'),
        service: notNull('text'),
        created_at: notNull('datetime', { default: true }),
      },
      primaryKey: ['register_message_hash'],
      foreignKeys: [
        fk('fk_pdp_provider_registrations_message_wait', 'register_message_hash', 'message_waits_eth', 'signed_tx_hash', 'CASCADE'),
      ],
    }),
    message_sends_eth: table({
      columns: {
        from_address: notNull('text'),
        to_address: notNull('text'),
        send_reason: notNull('text'),
        send_task_id: gormId,
        unsigned_tx: notNull('blob'),
        unsigned_hash: notNull('text'),
        nonce: nullable('int64'),
        signed_tx: nullable('blob'),
        signed_hash: nullable('text'),
        send_time: nullable('datetime'),
        send_success: nullable('bool'),
        send_error: nullable('text'),
      },
      primaryKey: ['send_task_id'],
      sqlite: AUTOINC,
    }),
    message_send_eth_locks: table({
      columns: { from_address: notNull('text'), task_id: notNull('int64'), claimed_at: notNull('datetime') },
      primaryKey: ['from_address'],
    }),
    rail_settlement_waits: table({
      columns: { rail_id: notNull('text'), signed_tx_hash: notNull('text'), created_at: nullable('datetime') },
      primaryKey: ['rail_id'],
      unique: [{ name: 'idx_rail_settlement_waits_signed_tx_hash', columns: ['signed_tx_hash'] }],
    }),
    withdrawal_waits: table({
      columns: { id: gormId, signed_tx_hash: notNull('text'), created_at: nullable('datetime') },
      primaryKey: ['id'],
      unique: [{ name: 'idx_withdrawal_waits_signed_tx_hash', columns: ['signed_tx_hash'] }],
      sqlite: AUTOINC,
    }),
  },
  triggers: [
    { name: 'pdp_proofset_root_insert', table: 'pdp_proofset_roots', timing: { sqlite: 'AFTER', postgres: 'AFTER' }, event: 'INSERT', pgFunction: 'piri_db_increment_proofset_refcount' },
    { name: 'pdp_proofset_root_delete', table: 'pdp_proofset_roots', timing: { sqlite: 'AFTER', postgres: 'AFTER' }, event: 'DELETE', pgFunction: 'piri_db_decrement_proofset_refcount' },
    { name: 'pdp_proofset_root_update', table: 'pdp_proofset_roots', timing: { sqlite: 'AFTER', postgres: 'AFTER' }, event: 'UPDATE', pgFunction: 'piri_db_adjust_proofset_refcount_on_update' },
    {
      name: 'pdp_proofset_create_message_status_change',
      table: 'message_waits_eth',
      timing: { sqlite: 'AFTER', postgres: 'AFTER' },
      event: 'UPDATE',
      updateOf: ['tx_status', 'tx_success'],
      pgFunction: 'piri_db_update_pdp_proofset_creates',
    },
    {
      name: 'pdp_proofset_add_message_status_change',
      table: 'message_waits_eth',
      timing: { sqlite: 'AFTER', postgres: 'AFTER' },
      event: 'UPDATE',
      updateOf: ['tx_status', 'tx_success'],
      pgFunction: 'piri_db_update_pdp_proofset_roots',
    },
  ],
};

// ---- job queues (sections 4.2, 4.4) --------------------------------------------------------------------------

const STRICT = { strict: true } as const;

const plainQueueTables: Record<string, TableSpec> = {
  jobqueue: table({
    columns: {
      id: notNull('text', { default: true }),
      created: notNull('isoText', { default: true }),
      updated: notNull('isoText', { default: true }),
      queue: notNull('text'),
      body: notNull('blob'),
      timeout: notNull('isoText', { default: true }),
      received: notNull('int32', { default: true }),
    },
    primaryKey: ['id'],
    indexes: [{ name: 'jobqueue_queue_created_idx', columns: ['queue', 'created', 'id'] }],
    sqlite: STRICT,
  }),
  jobqueue_dead: table({
    columns: {
      id: notNull('text'),
      created: notNull('isoText'),
      updated: notNull('isoText'),
      queue: notNull('text'),
      body: notNull('blob'),
      timeout: notNull('isoText'),
      received: notNull('int32'),
      job_name: notNull('text'),
      failure_reason: notNull('text'),
      error_message: notNull('text'),
      moved_at: notNull('isoText', { default: true }),
    },
    primaryKey: ['id'],
    indexes: [{ name: 'jobqueue_dead_queue_moved_at_idx', columns: ['queue', 'moved_at'] }],
    sqlite: STRICT,
  }),
};

const dedupQueueTables: Record<string, TableSpec> = {
  queues: table({
    columns: { queue: notNull('text'), dedupe_enabled: notNull('int32', { default: true }) },
    primaryKey: ['queue'],
    sqlite: STRICT,
  }),
  job_ns: table({
    columns: { id: notNull('int32', { auto: true }), queue: notNull('text'), name: notNull('text') },
    primaryKey: ['id'],
    unique: [{ columns: ['queue', 'name'] }],
    sqlite: STRICT, // rowid alias, no AUTOINCREMENT
  }),
  jobs: table({
    columns: {
      id: notNull('int32', { auto: true }),
      ns_id: notNull('int32'),
      key: notNull('blob'),
      body: notNull('blob'),
      created_s: notNull('int64', { default: true }),
      avail_s: notNull('int64'), // no default (section 10 item 17)
      attempts: notNull('int32', { default: true }),
    },
    primaryKey: ['id'],
    unique: [{ name: 'jobs_unique_live', columns: ['ns_id', 'key'] }],
    indexes: [{ name: 'jobs_claim_idx', columns: ['ns_id', 'avail_s', 'id'] }],
    foreignKeys: [fk(undefined, 'ns_id', 'job_ns', 'id', 'NO ACTION')],
    sqlite: { strict: true, autoincrement: true }, // deviation: AUTOINCREMENT, ids never reused
  }),
  job_done: table({
    columns: {
      ns_id: notNull('int32'),
      key: notNull('blob'),
      status: notNull('int32'),
      done_s: notNull('int64', { default: true }),
    },
    primaryKey: ['ns_id', 'key'],
    sqlite: { withoutRowid: true }, // WITHOUT ROWID, not STRICT
  }),
  job_dead: table({
    columns: {
      id: notNull('int32', { auto: true }),
      ns_id: notNull('int32'),
      key: notNull('blob'),
      body: notNull('blob'),
      attempts: notNull('int32'),
      reason: notNull('text'),
      error: notNull('text'),
      moved_s: notNull('int64', { default: true }),
    },
    primaryKey: ['id'],
    foreignKeys: [fk(undefined, 'ns_id', 'job_ns', 'id', 'NO ACTION')],
    sqlite: { strict: true, autoincrement: true }, // deviation: AUTOINCREMENT
  }),
};

const queueTrigger: TriggerSpec = {
  name: 'jobqueue_updated_timestamp',
  table: 'jobqueue',
  timing: { sqlite: 'AFTER', postgres: 'BEFORE' },
  event: 'UPDATE',
  pgFunction: 'jobqueue_update_timestamp',
};

export const EXPECTED_MODEL = {
  scheduler,
  replicator: { tables: plainQueueTables, triggers: [queueTrigger], sqliteSequence: false },
  aggregator: { tables: { ...plainQueueTables, ...dedupQueueTables }, triggers: [queueTrigger], sqliteSequence: true },
  egress_tracker: { tables: plainQueueTables, triggers: [queueTrigger], sqliteSequence: false },
} as const satisfies Record<string, StoreSpec>;

export type ExpectedStoreName = keyof typeof EXPECTED_MODEL;

/** The migration journal, the one table a store may hold besides the model (SQLite: in each file; PG: schema piri_db). */
export const SQLITE_JOURNAL = '__piri_db_migrations';
