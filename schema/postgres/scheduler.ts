/**
 * The scheduler store on Postgres: the 18 tables Piri's GORM AutoMigrate creates at runtime (docs/data-model.md
 * §6.2 and Appendix A; NOT schema/task.sql), in schema `scheduler`. Names, types, nullability, defaults, FK names
 * and ON DELETE behaviour are Piri's. The five trigger functions and triggers (§6.3) and the column comments
 * cannot be declared in drizzle: they are in the custom migrations `drizzle/postgres/scheduler/*_triggers.sql` and
 * `*_trigger_functions.sql` (the functions are named `piri_db_<Piri's name>`, out of reach of Piri's trigger script).
 *
 * Kept line-for-line alike with schema/sqlite/scheduler.ts; schema/row-types.check.ts proves the row types agree.
 * Composite primary keys are named `<table>_pkey`, the name Postgres gives GORM's unnamed PRIMARY KEY clause.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { bytea, int64, serial64, timestamptz } from './columns.ts';

/** The PostgreSQL schema `scheduler`, which holds the scheduler store's tables. */
export const schedulerSchema = pgSchema('scheduler');

// ---------------------------------------------------------------------------------------------------------------
// Task engine

/**
 * Pending tasks of the task engine (Piri's harmonytask): one row per task until it completes or is dropped;
 * `session_id` is the engine session that owns it, NULL while unclaimed. Add tasks with TaskEngine.addTask, not by
 * INSERT.
 */
export const task = schedulerSchema.table('task', {
  id: serial64('id').primaryKey(),
  initiatedBy: int64('initiated_by'),
  updateTime: timestamptz('update_time').notNull().default(sql`current_timestamp`),
  postedTime: timestamptz('posted_time').notNull(),
  sessionId: text('session_id'),
  addedBy: text('added_by').notNull(),
  previousTask: int64('previous_task'),
  name: varchar('name', { length: 16 }).notNull(),
  retries: int64('retries').notNull(),
});

/**
 * One row per finished task attempt: when it was posted, worked and finished, whether it succeeded, and Piri's error
 * text. pruneScheduler deletes old rows.
 */
export const taskHistory = schedulerSchema.table('task_history', {
  id: serial64('id').primaryKey(),
  taskId: int64('task_id').notNull(),
  name: varchar('name', { length: 16 }).notNull(),
  posted: timestamptz('posted').notNull(),
  workStart: timestamptz('work_start').notNull(),
  workEnd: timestamptz('work_end').notNull(),
  result: boolean('result').notNull(),
  err: text('err'),
  completedBySessionId: varchar('completed_by_session_id', { length: 300 }).notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// Parked pieces

/** Pieces held locally (data-model §8.3), by piece CID and sizes, with whether their data is complete. */
export const parkedPieces = schedulerSchema.table(
  'parked_pieces',
  {
    id: serial64('id').primaryKey(),
    createdAt: timestamptz('created_at').default(sql`current_timestamp`),
    pieceCid: text('piece_cid').notNull(),
    piecePaddedSize: int64('piece_padded_size').notNull(),
    pieceRawSize: int64('piece_raw_size').notNull(),
    complete: boolean('complete').notNull().default(false),
    taskId: int64('task_id'),
    cleanupTaskId: int64('cleanup_task_id'),
    longTerm: boolean('long_term').notNull().default(false),
  },
  (t) => [
    foreignKey({
      name: 'fk_parked_pieces_task',
      columns: [t.taskId],
      foreignColumns: [task.id],
    }).onDelete('set null'),
    foreignKey({
      name: 'fk_parked_pieces_cleanup_task',
      columns: [t.cleanupTaskId],
      foreignColumns: [task.id],
    }).onDelete('set null'),
    uniqueIndex('idx_piece_cid_padded_longterm_cleanup').on(t.pieceCid, t.piecePaddedSize, t.cleanupTaskId, t.longTerm),
  ],
);

/** Uses of a parked piece, with where its data is fetched from; deleting one cascades to its pdpPiecerefs rows. */
export const parkedPieceRefs = schedulerSchema.table(
  'parked_piece_refs',
  {
    refId: serial64('ref_id').primaryKey(),
    pieceId: int64('piece_id').notNull(),
    dataUrl: text('data_url'),
    dataHeaders: jsonb('data_headers').notNull().default(sql`'{}'`),
    longTerm: boolean('long_term').notNull().default(false),
  },
  (t) => [
    foreignKey({
      name: 'fk_parked_piece_refs_parked_piece',
      columns: [t.pieceId],
      foreignColumns: [parkedPieces.id],
    }).onDelete('cascade'),
  ],
);

// ---------------------------------------------------------------------------------------------------------------
// PDP pieces

/** Open upload slots: the hash and size the uploaded data must match and whom to notify when it arrives. */
export const pdpPieceUploads = schedulerSchema.table(
  'pdp_piece_uploads',
  {
    id: uuid('id').primaryKey(),
    service: text('service').notNull(),
    checkHashCodec: text('check_hash_codec').notNull(),
    checkHash: bytea('check_hash').notNull(),
    checkSize: int64('check_size').notNull(),
    pieceCid: text('piece_cid'),
    notifyUrl: text('notify_url').notNull(),
    notifyTaskId: int64('notify_task_id'),
    pieceRef: int64('piece_ref'),
    createdAt: timestamptz('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  (t) => [
    foreignKey({
      name: 'fk_pdp_piece_uploads_parked_piece_ref',
      columns: [t.pieceRef],
      foreignColumns: [parkedPieceRefs.refId],
    }).onDelete('set null'),
  ],
);

/**
 * A PDP service's references to parked pieces, counted by the proof sets that hold them (proofset_refcount, kept by
 * triggers).
 */
export const pdpPiecerefs = schedulerSchema.table(
  'pdp_piecerefs',
  {
    id: serial64('id').primaryKey(),
    service: text('service').notNull(),
    pieceCid: text('piece_cid').notNull(),
    pieceRef: int64('piece_ref'),
    createdAt: timestamptz('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
    proofsetRefcount: int64('proofset_refcount').notNull().default(0),
  },
  (t) => [
    foreignKey({
      name: 'fk_pdp_piecerefs_parked_piece_ref',
      columns: [t.pieceRef],
      foreignColumns: [parkedPieceRefs.refId],
    }).onDelete('cascade'),
  ],
);

/** The cache from a blob's multihash (raw bytes) to the piece CID and size it belongs to. */
export const pdpPieceMhToCommp = schedulerSchema.table('pdp_piece_mh_to_commp', {
  mhash: bytea('mhash').primaryKey(),
  size: int64('size').notNull(),
  commp: text('commp').notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// PDP proof sets

/** Proof sets by on-chain id, with their proving-period state (epochs, the pending challenge request and its task). */
export const pdpProofSets = schedulerSchema.table(
  'pdp_proof_sets',
  {
    id: serial64('id').primaryKey(),
    prevChallengeRequestEpoch: int64('prev_challenge_request_epoch'),
    challengeRequestTaskId: int64('challenge_request_task_id'),
    challengeRequestMsgHash: text('challenge_request_msg_hash'),
    provingPeriod: int64('proving_period'),
    challengeWindow: int64('challenge_window'),
    proveAtEpoch: int64('prove_at_epoch'),
    initReady: boolean('init_ready').notNull().default(false),
    createMessageHash: text('create_message_hash').notNull(),
    service: text('service').notNull(),
  },
  (t) => [
    foreignKey({
      name: 'fk_pdp_proof_sets_challenge_request_task',
      columns: [t.challengeRequestTaskId],
      foreignColumns: [task.id],
    }).onDelete('set null'),
  ],
);

/** Which proof sets a PDPProve task proves; the rows go with the task (ON DELETE CASCADE). */
export const pdpProveTasks = schedulerSchema.table(
  'pdp_prove_tasks',
  {
    proofsetId: int64('proofset_id').notNull(),
    taskId: int64('task_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'pdp_prove_tasks_pkey', columns: [t.proofsetId, t.taskId] }),
    foreignKey({
      name: 'fk_pdp_prove_tasks_proof_set',
      columns: [t.proofsetId],
      foreignColumns: [pdpProofSets.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_pdp_prove_tasks_prove_task',
      columns: [t.taskId],
      foreignColumns: [task.id],
    }).onDelete('cascade'),
  ],
);

// ---------------------------------------------------------------------------------------------------------------
// Chain messages and what waits on them

/**
 * Chain transactions being watched for confirmation, by signed hash: pending until the watcher records the block,
 * receipt and success. Triggers mark the proof set creates and root adds that wait on it when it confirms.
 */
export const messageWaitsEth = schedulerSchema.table('message_waits_eth', {
  waiterMachineId: int64('waiter_machine_id'),
  signedTxHash: text('signed_tx_hash').primaryKey(),
  confirmedBlockNumber: int64('confirmed_block_number'),
  confirmedTxHash: text('confirmed_tx_hash'),
  confirmedTxData: jsonb('confirmed_tx_data'),
  txStatus: text('tx_status'),
  txReceipt: jsonb('tx_receipt'),
  txSuccess: boolean('tx_success'),
});

/**
 * Proof set creation messages; `ok` is set by a trigger when the message confirms, then the proof set is created from
 * it.
 */
export const pdpProofsetCreates = schedulerSchema.table(
  'pdp_proofset_creates',
  {
    createMessageHash: text('create_message_hash').primaryKey(),
    ok: boolean('ok'),
    proofsetCreated: boolean('proofset_created').notNull().default(false),
    service: text('service').notNull(),
    createdAt: timestamptz('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  (t) => [
    foreignKey({
      name: 'fk_pdp_proofset_creates_message_wait',
      columns: [t.createMessageHash],
      foreignColumns: [messageWaitsEth.signedTxHash],
    }).onDelete('cascade'),
  ],
);

/** The roots of each proof set, one row per subroot, with the parked piece reference that holds its data. */
export const pdpProofsetRoots = schedulerSchema.table(
  'pdp_proofset_roots',
  {
    proofsetId: int64('proofset_id').notNull(),
    rootId: int64('root_id').notNull(),
    subrootOffset: int64('subroot_offset').notNull(),
    root: text('root').notNull(),
    addMessageHash: text('add_message_hash').notNull(),
    addMessageIndex: int64('add_message_index'),
    subroot: text('subroot').notNull(),
    subrootOffsetVal: int64('subroot_offset_val'),
    subrootSize: int64('subroot_size'),
    pdpPieceRefId: int64('pdp_piece_ref_id'),
  },
  (t) => [
    primaryKey({ name: 'pdp_proofset_roots_pkey', columns: [t.proofsetId, t.rootId, t.subrootOffset] }),
    foreignKey({
      name: 'fk_pdp_proofset_roots_proof_set',
      columns: [t.proofsetId],
      foreignColumns: [pdpProofSets.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_pdp_proofset_roots_add_message_wait',
      columns: [t.addMessageHash],
      foreignColumns: [messageWaitsEth.signedTxHash],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_pdp_proofset_roots_pdp_piece_ref',
      columns: [t.pdpPieceRefId],
      foreignColumns: [pdpPiecerefs.id],
    }).onDelete('set null'),
  ],
);

/**
 * Roots being added to proof sets, one row per subroot, until their add message confirms (`add_message_ok`, set by a
 * trigger) and they move to pdpProofsetRoots.
 */
export const pdpProofsetRootAdds = schedulerSchema.table(
  'pdp_proofset_root_adds',
  {
    proofsetId: int64('proofset_id').notNull(),
    addMessageHash: text('add_message_hash'),
    subrootOffset: int64('subroot_offset').notNull(),
    root: text('root').notNull(),
    addMessageOk: boolean('add_message_ok'),
    addMessageIndex: int64('add_message_index'),
    subroot: text('subroot').notNull(),
    subrootSize: int64('subroot_size'),
    pdpPieceRefId: int64('pdp_piece_ref_id'),
  },
  (t) => [
    primaryKey({ name: 'pdp_proofset_root_adds_pkey', columns: [t.proofsetId, t.subrootOffset, t.root] }),
    foreignKey({
      name: 'fk_pdp_proofset_root_adds_proof_set',
      columns: [t.proofsetId],
      foreignColumns: [pdpProofSets.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_pdp_proofset_root_adds_add_message_wait',
      columns: [t.addMessageHash],
      foreignColumns: [messageWaitsEth.signedTxHash],
    }).onDelete('cascade'),
    foreignKey({
      name: 'fk_pdp_proofset_root_adds_pdp_piece_ref',
      columns: [t.pdpPieceRefId],
      foreignColumns: [pdpPiecerefs.id],
    }).onDelete('set null'),
  ],
);

/** Provider registration messages of a PDP service, with whether they confirmed and the provider id once registered. */
export const pdpProviderRegistrations = schedulerSchema.table(
  'pdp_provider_registrations',
  {
    registerMessageHash: text('register_message_hash').primaryKey(),
    ok: boolean('ok'),
    providerRegistered: boolean('provider_registered').notNull().default(false),
    providerId: int64('provider_id'),
    service: text('service').notNull(),
    createdAt: timestamptz('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  (t) => [
    foreignKey({
      name: 'fk_pdp_provider_registrations_message_wait',
      columns: [t.registerMessageHash],
      foreignColumns: [messageWaitsEth.signedTxHash],
    }).onDelete('cascade'),
  ],
);

/**
 * Chain messages to send, one per SendTransaction task: the unsigned transaction, then its nonce, signed form and send
 * result.
 */
export const messageSendsEth = schedulerSchema.table('message_sends_eth', {
  fromAddress: text('from_address').notNull(),
  toAddress: text('to_address').notNull(),
  sendReason: text('send_reason').notNull(),
  sendTaskId: serial64('send_task_id').primaryKey(),
  unsignedTx: bytea('unsigned_tx').notNull(),
  unsignedHash: text('unsigned_hash').notNull(),
  nonce: int64('nonce'),
  signedTx: bytea('signed_tx'),
  signedHash: text('signed_hash'),
  sendTime: timestamptz('send_time'),
  sendSuccess: boolean('send_success'),
  sendError: text('send_error'),
});

/** The per-sender nonce lock: which SendTransaction task is choosing the sender's next nonce. */
export const messageSendEthLocks = schedulerSchema.table('message_send_eth_locks', {
  fromAddress: text('from_address').primaryKey(),
  taskId: int64('task_id').notNull(),
  claimedAt: timestamptz('claimed_at').notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// Admin payments (model-only tables)

/**
 * The settlement transaction last sent for each payment rail (an admin payment; Piri has the table in its model only).
 */
export const railSettlementWaits = schedulerSchema.table(
  'rail_settlement_waits',
  {
    railId: text('rail_id').primaryKey(),
    signedTxHash: text('signed_tx_hash').notNull(),
    createdAt: timestamptz('created_at'),
  },
  (t) => [uniqueIndex('idx_rail_settlement_waits_signed_tx_hash').on(t.signedTxHash)],
);

/** Withdrawal transactions sent (an admin payment; Piri has the table in its model only). */
export const withdrawalWaits = schedulerSchema.table(
  'withdrawal_waits',
  {
    id: serial64('id').primaryKey(),
    signedTxHash: text('signed_tx_hash').notNull(),
    createdAt: timestamptz('created_at'),
  },
  (t) => [uniqueIndex('idx_withdrawal_waits_signed_tx_hash').on(t.signedTxHash)],
);

// ---------------------------------------------------------------------------------------------------------------
// piri-db's own (not in Piri)

/**
 * Task engine sessions: one row per running task engine, whose heartbeat_at it beats. Another engine releases a
 * session's tasks only once that heartbeat is older than the heartbeat timeout; Piri instead released every other
 * session's tasks at start.
 */
export const taskEngineSessions = schedulerSchema.table('task_engine_sessions', {
  sessionId: text('session_id').primaryKey(),
  startedAt: timestamptz('started_at').notNull(),
  heartbeatAt: timestamptz('heartbeat_at').notNull(),
});
