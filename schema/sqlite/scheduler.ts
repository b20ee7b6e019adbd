/**
 * The scheduler store on SQLite: the 18 tables Piri's GORM AutoMigrate creates at runtime (docs/data-model.md
 * §6.2 and Appendix A; NOT schema/task.sql). Names, declared types, nullability, defaults, FK names and ON DELETE
 * behaviour are Piri's. The five triggers (§6.3) cannot be declared in drizzle: they are in the custom
 * migration `drizzle/sqlite/scheduler/*_triggers.sql`.
 *
 * Kept line-for-line alike with schema/postgres/scheduler.ts; schema/row-types.check.ts proves the row types agree.
 *
 * Deliberate difference from Piri's DDL: every primary-key column is NOT NULL. Piri's SQLite tables leave
 * non-integer and composite PK columns nullable (a SQLite legacy quirk; Postgres makes PK columns NOT NULL
 * anyway). Piri never stores NULL there, and one row type for both dialects needs the keys to be non-null.
 * drizzle-kit does not write FK constraint names into SQLite DDL, and writes `DEFAULT x NOT NULL` on tab-indented
 * lines; Piri's GORM AutoMigrate then rebuilds the tables (cascade-deleting rows). The custom migration
 * `drizzle/sqlite/scheduler/*_gorm_shape.sql` therefore rebuilds all 18 tables in GORM's own DDL, with these FK
 * names; a later drizzle-kit migration touching one of them must be followed by such a rebuild
 * (test/schema/beside-piri.test.ts checks it).
 */
import { sql } from 'drizzle-orm';
import { blob, foreignKey, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { datetime, json, numericBool, uuid } from './columns.ts';

// ---------------------------------------------------------------------------------------------------------------
// Task engine

/**
 * Pending tasks of the task engine (Piri's harmonytask): one row per task until it completes or is dropped;
 * `session_id` is the engine session that owns it, NULL while unclaimed. Add tasks with TaskEngine.addTask, not by
 * INSERT.
 */
export const task = sqliteTable('task', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  initiatedBy: integer('initiated_by'),
  updateTime: datetime('update_time').notNull().default(sql`current_timestamp`),
  postedTime: datetime('posted_time').notNull(),
  sessionId: text('session_id'),
  addedBy: text('added_by').notNull(),
  previousTask: integer('previous_task'),
  name: text('name').notNull(),
  retries: integer('retries').notNull(),
});

/**
 * One row per finished task attempt: when it was posted, worked and finished, whether it succeeded, and Piri's error
 * text. pruneScheduler deletes old rows.
 */
export const taskHistory = sqliteTable('task_history', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  taskId: integer('task_id').notNull(),
  name: text('name').notNull(),
  posted: datetime('posted').notNull(),
  workStart: datetime('work_start').notNull(),
  workEnd: datetime('work_end').notNull(),
  result: numericBool('result').notNull(),
  err: text('err'),
  completedBySessionId: text('completed_by_session_id').notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// Parked pieces

/** Pieces held locally (data-model §8.3), by piece CID and sizes, with whether their data is complete. */
export const parkedPieces = sqliteTable(
  'parked_pieces',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    createdAt: datetime('created_at').default(sql`current_timestamp`),
    pieceCid: text('piece_cid').notNull(),
    piecePaddedSize: integer('piece_padded_size').notNull(),
    pieceRawSize: integer('piece_raw_size').notNull(),
    complete: numericBool('complete').notNull().default(false),
    taskId: integer('task_id'),
    cleanupTaskId: integer('cleanup_task_id'),
    longTerm: numericBool('long_term').notNull().default(false),
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
export const parkedPieceRefs = sqliteTable(
  'parked_piece_refs',
  {
    refId: integer('ref_id').primaryKey({ autoIncrement: true }),
    pieceId: integer('piece_id').notNull(),
    dataUrl: text('data_url'),
    dataHeaders: json('data_headers').notNull().default(sql`'{}'`),
    longTerm: numericBool('long_term').notNull().default(false),
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
export const pdpPieceUploads = sqliteTable(
  'pdp_piece_uploads',
  {
    id: uuid('id').primaryKey(),
    service: text('service').notNull(),
    checkHashCodec: text('check_hash_codec').notNull(),
    checkHash: blob('check_hash', { mode: 'buffer' }).notNull(),
    checkSize: integer('check_size').notNull(),
    pieceCid: text('piece_cid'),
    notifyUrl: text('notify_url').notNull(),
    notifyTaskId: integer('notify_task_id'),
    pieceRef: integer('piece_ref'),
    createdAt: datetime('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
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
export const pdpPiecerefs = sqliteTable(
  'pdp_piecerefs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    service: text('service').notNull(),
    pieceCid: text('piece_cid').notNull(),
    pieceRef: integer('piece_ref'),
    createdAt: datetime('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
    proofsetRefcount: integer('proofset_refcount').notNull().default(0),
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
export const pdpPieceMhToCommp = sqliteTable('pdp_piece_mh_to_commp', {
  mhash: blob('mhash', { mode: 'buffer' }).primaryKey(),
  size: integer('size').notNull(),
  commp: text('commp').notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// PDP proof sets

/** Proof sets by on-chain id, with their proving-period state (epochs, the pending challenge request and its task). */
export const pdpProofSets = sqliteTable(
  'pdp_proof_sets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    prevChallengeRequestEpoch: integer('prev_challenge_request_epoch'),
    challengeRequestTaskId: integer('challenge_request_task_id'),
    challengeRequestMsgHash: text('challenge_request_msg_hash'),
    provingPeriod: integer('proving_period'),
    challengeWindow: integer('challenge_window'),
    proveAtEpoch: integer('prove_at_epoch'),
    initReady: numericBool('init_ready').notNull().default(false),
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
export const pdpProveTasks = sqliteTable(
  'pdp_prove_tasks',
  {
    proofsetId: integer('proofset_id').notNull(),
    taskId: integer('task_id').notNull(),
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
export const messageWaitsEth = sqliteTable('message_waits_eth', {
  waiterMachineId: integer('waiter_machine_id'),
  signedTxHash: text('signed_tx_hash').primaryKey(),
  confirmedBlockNumber: integer('confirmed_block_number'),
  confirmedTxHash: text('confirmed_tx_hash'),
  confirmedTxData: json('confirmed_tx_data'),
  txStatus: text('tx_status'),
  txReceipt: json('tx_receipt'),
  txSuccess: numericBool('tx_success'),
});

/**
 * Proof set creation messages; `ok` is set by a trigger when the message confirms, then the proof set is created from
 * it.
 */
export const pdpProofsetCreates = sqliteTable(
  'pdp_proofset_creates',
  {
    createMessageHash: text('create_message_hash').primaryKey(),
    ok: numericBool('ok'),
    proofsetCreated: numericBool('proofset_created').notNull().default(false),
    service: text('service').notNull(),
    createdAt: datetime('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
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
export const pdpProofsetRoots = sqliteTable(
  'pdp_proofset_roots',
  {
    proofsetId: integer('proofset_id').notNull(),
    rootId: integer('root_id').notNull(),
    subrootOffset: integer('subroot_offset').notNull(),
    root: text('root').notNull(),
    addMessageHash: text('add_message_hash').notNull(),
    addMessageIndex: integer('add_message_index'),
    subroot: text('subroot').notNull(),
    subrootOffsetVal: integer('subroot_offset_val'),
    subrootSize: integer('subroot_size'),
    pdpPieceRefId: integer('pdp_piece_ref_id'),
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
export const pdpProofsetRootAdds = sqliteTable(
  'pdp_proofset_root_adds',
  {
    proofsetId: integer('proofset_id').notNull(),
    addMessageHash: text('add_message_hash'),
    subrootOffset: integer('subroot_offset').notNull(),
    root: text('root').notNull(),
    addMessageOk: numericBool('add_message_ok'),
    addMessageIndex: integer('add_message_index'),
    subroot: text('subroot').notNull(),
    subrootSize: integer('subroot_size'),
    pdpPieceRefId: integer('pdp_piece_ref_id'),
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
export const pdpProviderRegistrations = sqliteTable(
  'pdp_provider_registrations',
  {
    registerMessageHash: text('register_message_hash').primaryKey(),
    ok: numericBool('ok'),
    providerRegistered: numericBool('provider_registered').notNull().default(false),
    providerId: integer('provider_id'),
    service: text('service').notNull(),
    createdAt: datetime('created_at').notNull().default(sql`CURRENT_TIMESTAMP`),
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
export const messageSendsEth = sqliteTable('message_sends_eth', {
  fromAddress: text('from_address').notNull(),
  toAddress: text('to_address').notNull(),
  sendReason: text('send_reason').notNull(),
  sendTaskId: integer('send_task_id').primaryKey({ autoIncrement: true }),
  unsignedTx: blob('unsigned_tx', { mode: 'buffer' }).notNull(),
  unsignedHash: text('unsigned_hash').notNull(),
  nonce: integer('nonce'),
  signedTx: blob('signed_tx', { mode: 'buffer' }),
  signedHash: text('signed_hash'),
  sendTime: datetime('send_time'),
  sendSuccess: numericBool('send_success'),
  sendError: text('send_error'),
});

/** The per-sender nonce lock: which SendTransaction task is choosing the sender's next nonce. */
export const messageSendEthLocks = sqliteTable('message_send_eth_locks', {
  fromAddress: text('from_address').primaryKey(),
  taskId: integer('task_id').notNull(),
  claimedAt: datetime('claimed_at').notNull(),
});

// ---------------------------------------------------------------------------------------------------------------
// Admin payments (model-only tables)

/**
 * The settlement transaction last sent for each payment rail (an admin payment; Piri has the table in its model only).
 */
export const railSettlementWaits = sqliteTable(
  'rail_settlement_waits',
  {
    railId: text('rail_id').primaryKey(),
    signedTxHash: text('signed_tx_hash').notNull(),
    createdAt: datetime('created_at'),
  },
  (t) => [uniqueIndex('idx_rail_settlement_waits_signed_tx_hash').on(t.signedTxHash)],
);

/** Withdrawal transactions sent (an admin payment; Piri has the table in its model only). */
export const withdrawalWaits = sqliteTable(
  'withdrawal_waits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    signedTxHash: text('signed_tx_hash').notNull(),
    createdAt: datetime('created_at'),
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
export const taskEngineSessions = sqliteTable('task_engine_sessions', {
  sessionId: text('session_id').primaryKey(),
  startedAt: datetime('started_at').notNull(),
  heartbeatAt: datetime('heartbeat_at').notNull(),
});
