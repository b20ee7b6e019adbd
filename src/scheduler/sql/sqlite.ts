/**
 * SchedulerSql on SQLite (better-sqlite3, ONE connection per store file, shared by everything in the process).
 *
 * better-sqlite3 transactions must be synchronous, but the task engine's transactions await user code (AddTask's
 * `extra`). So a transaction here is BEGIN IMMEDIATE ... COMMIT/ROLLBACK issued with `client.exec`, held across
 * awaits, and every scheduler transaction on the connection waits for one FIFO async mutex per connection (a
 * WeakMap keyed by the better-sqlite3 Database, so every SqliteSchedulerSql on the connection shares it).
 * Anything that touches the scheduler file must go through here; a statement issued on `store.db` or
 * `connection.client` directly while a transaction is open would land inside it.
 *
 * Statements are prepared once per connection and reused. Times are stored as the datetime codec writes them
 * (schema/sqlite/columns.ts): UTC text `YYYY-MM-DD HH:MM:SS.mmm+00:00`, so text order is time order.
 *
 * Mirrors src/scheduler/sql/postgres.ts: same sections, same order.
 */
import Database from 'better-sqlite3';
import { storageError } from '../../backend/sqlite/errors.ts';
import type { SqliteStoreConnection } from '../../backend/types.ts';
import { AsyncMutex, assertNotNested, runInScope, TransactionScope } from './transaction-scope.ts';
import type {
  ClaimCandidate,
  CommpEntry,
  MessageSendLockOps,
  MessageSendOps,
  MessageSendRow,
  MessageWaitOps,
  MessageWaitRow,
  OwnedTask,
  ParkedPieceOps,
  ParkedPieceRefOps,
  ParkedPieceRefRow,
  ParkedPieceRow,
  PieceCommpOps,
  PieceRefOps,
  PieceRefRow,
  PieceUploadOps,
  PieceUploadRow,
  ProofSetCreateOps,
  ProofSetCreateRow,
  ProofSetOps,
  ProofSetRow,
  ProveTaskOps,
  ProviderRegistrationOps,
  ProviderRegistrationRow,
  RailSettlementWaitOps,
  RailSettlementWaitRow,
  RootAddOps,
  RootAddRow,
  RootMessage,
  RootOps,
  RootRow,
  SchedulerErrorKind,
  SchedulerSql,
  SchedulerTx,
  SessionOps,
  SubrootPiece,
  TaskHistoryOps,
  TaskOps,
  WithdrawalWaitOps,
  WithdrawalWaitRow,
} from './types.ts';

type Client = Database.Database;
type Row = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// SQL

const TASK_COLUMNS = 'id, name, retries, posted_time';
const SEND_COLUMNS = `send_task_id, from_address, to_address, send_reason, unsigned_tx, unsigned_hash, nonce, signed_tx,
    signed_hash, send_time, send_success, send_error`;
const WAIT_COLUMNS = `waiter_machine_id, signed_tx_hash, confirmed_block_number, confirmed_tx_hash, confirmed_tx_data, tx_status,
    tx_receipt, tx_success`;
const CREATE_COLUMNS = 'create_message_hash, ok, proofset_created, service, created_at';
const PROOF_SET_COLUMNS = `id, prev_challenge_request_epoch, challenge_request_task_id, challenge_request_msg_hash, proving_period,
    challenge_window, prove_at_epoch, init_ready, create_message_hash, service`;
const PARKED_PIECE_COLUMNS = `id, created_at, piece_cid, piece_padded_size, piece_raw_size, complete, task_id, cleanup_task_id,
    long_term`;
const PARKED_REF_COLUMNS = 'ref_id, piece_id, data_url, data_headers, long_term';
const PIECE_REF_COLUMNS = 'id, service, piece_cid, piece_ref, created_at, proofset_refcount';
const UPLOAD_COLUMNS = `id, service, check_hash_codec, check_hash, check_size, piece_cid, notify_url, notify_task_id, piece_ref,
    created_at`;
const ROOT_COLUMNS = `proofset_id, root_id, subroot_offset, root, add_message_hash, add_message_index, subroot, subroot_offset_val,
    subroot_size, pdp_piece_ref_id`;
const ROOT_ADD_COLUMNS = `proofset_id, add_message_hash, subroot_offset, root, add_message_ok, add_message_index, subroot,
    subroot_size, pdp_piece_ref_id`;
const REGISTRATION_COLUMNS = 'register_message_hash, ok, provider_registered, provider_id, service, created_at';

const SQL = {
  taskInsert: `INSERT INTO task (initiated_by, update_time, posted_time, session_id, added_by, previous_task, name, retries)
    VALUES (NULL, ?, ?, NULL, ?, NULL, ?, 0)`,
  taskClaimable: `SELECT id, retries, update_time FROM task
    WHERE name = ? AND session_id IS NULL
    ORDER BY update_time, id LIMIT ?`,
  taskClaimableAfter: `SELECT id, retries, update_time FROM task
    WHERE name = ? AND session_id IS NULL AND (update_time, id) > (?, ?)
    ORDER BY update_time, id LIMIT ?`,
  taskClaim: `UPDATE task SET session_id = ?, update_time = ? WHERE id = ? AND session_id IS NULL
    RETURNING ${TASK_COLUMNS}`,
  taskDeleteOwned: `DELETE FROM task WHERE id = ? AND session_id = ?`,
  taskDeleteOwnedIfExhausted: `DELETE FROM task WHERE id = ? AND session_id = ? AND retries >= ?`,
  taskRelease: `UPDATE task SET session_id = NULL, update_time = ? WHERE id = ? AND session_id = ?`,
  taskReleaseForRetry: `UPDATE task SET session_id = NULL, retries = retries + 1, update_time = ? WHERE id = ? AND session_id = ?`,
  taskReleaseSession: `UPDATE task SET session_id = NULL WHERE session_id = ?`,
  taskReleaseOrphaned: `UPDATE task SET session_id = NULL
    WHERE session_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM task_engine_sessions s WHERE s.session_id = task.session_id)`,

  historyInsert: `INSERT INTO task_history (task_id, name, posted, work_start, work_end, result, err, completed_by_session_id)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  historyPrune: `DELETE FROM task_history WHERE id IN (
    SELECT id FROM task_history WHERE work_end < ? ORDER BY id LIMIT ?)`,

  sessionInsert: `INSERT INTO task_engine_sessions (session_id, started_at, heartbeat_at) VALUES (?, ?, ?)`,
  sessionBeat: `UPDATE task_engine_sessions SET heartbeat_at = ? WHERE session_id = ?`,
  sessionLapsed: `SELECT session_id, heartbeat_at FROM task_engine_sessions
    WHERE heartbeat_at < ? AND session_id <> ?
    ORDER BY heartbeat_at`,
  sessionDelete: `DELETE FROM task_engine_sessions WHERE session_id = ?`,

  sendInsert: `INSERT INTO message_sends_eth (from_address, to_address, send_reason, send_task_id, unsigned_tx, unsigned_hash)
    VALUES (?, ?, ?, ?, ?, ?)`,
  sendMaxNonce: `SELECT MAX(nonce) AS nonce FROM message_sends_eth WHERE from_address = ? AND send_success = 1`,
  sendAssignNonce: `UPDATE message_sends_eth SET nonce = ?, signed_tx = ?, signed_hash = ? WHERE send_task_id = ?`,
  sendRecord: `UPDATE message_sends_eth SET send_success = ?, send_error = ?, send_time = ? WHERE send_task_id = ?`,
  sendPrune: `DELETE FROM message_sends_eth WHERE send_task_id IN (
    SELECT m.send_task_id FROM message_sends_eth m
    WHERE m.send_success IS NOT NULL AND m.send_time < ?
      AND NOT EXISTS (SELECT 1 FROM task t WHERE t.id = m.send_task_id)
      AND NOT (m.send_success = 1 AND m.nonce IS NOT NULL AND m.nonce = (
        SELECT MAX(k.nonce) FROM message_sends_eth k WHERE k.from_address = m.from_address AND k.send_success = 1))
    ORDER BY m.send_task_id LIMIT ?)`,

  lockAcquire: `INSERT INTO message_send_eth_locks (from_address, task_id, claimed_at) VALUES (?, ?, ?)
    ON CONFLICT (from_address) DO UPDATE SET task_id = excluded.task_id, claimed_at = excluded.claimed_at
    WHERE message_send_eth_locks.task_id = excluded.task_id`,
  lockRelease: `DELETE FROM message_send_eth_locks WHERE from_address = ? AND task_id = ?`,
  sendGet: `SELECT ${SEND_COLUMNS}, EXISTS (SELECT 1 FROM task t WHERE t.id = m.send_task_id) AS task_present
    FROM message_sends_eth m WHERE send_task_id = ?`,
  lockHolder: `SELECT task_id, claimed_at FROM message_send_eth_locks WHERE from_address = ?`,
  lockStaleHolder: `SELECT task_id FROM message_send_eth_locks l
    WHERE from_address = ? AND task_id <> ? AND NOT EXISTS (SELECT 1 FROM task t WHERE t.id = l.task_id)`,
  lockTakeOver: `UPDATE message_send_eth_locks SET task_id = ?, claimed_at = ? WHERE from_address = ? AND task_id = ?`,

  // One statement is enough here: the connection is the only writer, nothing can add a reference in between.
  waitPrune: `DELETE FROM message_waits_eth WHERE signed_tx_hash IN (
    SELECT w.signed_tx_hash FROM message_waits_eth w
    WHERE w.tx_status = 'confirmed'
      AND NOT EXISTS (SELECT 1 FROM pdp_proofset_creates c WHERE c.create_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM pdp_proofset_roots r WHERE r.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM pdp_proofset_root_adds a WHERE a.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM pdp_provider_registrations g WHERE g.register_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM pdp_proof_sets p WHERE p.challenge_request_msg_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM rail_settlement_waits rs WHERE rs.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM withdrawal_waits ww WHERE ww.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM message_sends_eth s
                      WHERE s.signed_hash = w.signed_tx_hash AND (s.send_time IS NULL OR s.send_time >= ?))
    ORDER BY w.signed_tx_hash LIMIT ?)`,
  waitInsertPending: `INSERT INTO message_waits_eth (signed_tx_hash, tx_status, confirmed_tx_hash) VALUES (?, 'pending', '')`,
  waitInsertPendingIgnore: `INSERT INTO message_waits_eth (signed_tx_hash, tx_status, confirmed_tx_hash) VALUES (?, 'pending', '')
    ON CONFLICT (signed_tx_hash) DO NOTHING`,
  waitMarkWatched: `UPDATE message_waits_eth SET waiter_machine_id = 1 WHERE waiter_machine_id IS NULL AND tx_status = 'pending'`,
  waitWatched: `SELECT signed_tx_hash FROM message_waits_eth WHERE waiter_machine_id = 1 AND tx_status = 'pending'
    ORDER BY signed_tx_hash LIMIT ?`,
  waitConfirm: `UPDATE message_waits_eth SET confirmed_block_number = ?, confirmed_tx_hash = ?, confirmed_tx_data = ?,
    tx_status = 'confirmed', tx_receipt = ?, tx_success = ?
    WHERE signed_tx_hash = ? AND tx_status = 'pending'`,
  waitConfirmSuccessful: `UPDATE message_waits_eth SET tx_status = 'confirmed', tx_success = 1
    WHERE signed_tx_hash = ? AND tx_status = 'pending'`,
  waitGet: `SELECT ${WAIT_COLUMNS} FROM message_waits_eth WHERE signed_tx_hash = ?`,
  waitDelete: `DELETE FROM message_waits_eth WHERE signed_tx_hash = ?`,

  createInsert: `INSERT INTO pdp_proofset_creates (create_message_hash, ok, proofset_created, service, created_at)
    VALUES (?, NULL, 0, ?, ?)`,
  createGet: `SELECT ${CREATE_COLUMNS} FROM pdp_proofset_creates WHERE create_message_hash = ?`,
  createReady: `SELECT c.create_message_hash, c.ok, c.proofset_created, c.service, c.created_at, w.tx_receipt
    FROM pdp_proofset_creates c LEFT JOIN message_waits_eth w ON w.signed_tx_hash = c.create_message_hash
    WHERE c.ok = 1 AND c.proofset_created = 0
    ORDER BY c.created_at, c.create_message_hash LIMIT ?`,
  createMarkCreated: `UPDATE pdp_proofset_creates SET proofset_created = 1 WHERE create_message_hash = ? AND proofset_created = 0`,

  proofSetInsert: `INSERT INTO pdp_proof_sets (id, create_message_hash, service, proving_period, challenge_window, init_ready)
    VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (id) DO NOTHING`,
  proofSetGet: `SELECT ${PROOF_SET_COLUMNS} FROM pdp_proof_sets WHERE id = ?`,
  proofSetByCreate: `SELECT ${PROOF_SET_COLUMNS} FROM pdp_proof_sets WHERE create_message_hash = ? ORDER BY id LIMIT 1`,
  proofSetList: `SELECT ${PROOF_SET_COLUMNS} FROM pdp_proof_sets WHERE service = ? ORDER BY id`,
  proofSetDelete: `DELETE FROM pdp_proof_sets WHERE id = ?`,
  proofSetMarkInitReady: `UPDATE pdp_proof_sets SET init_ready = 1
    WHERE id = ? AND prev_challenge_request_epoch IS NULL AND challenge_request_msg_hash IS NULL AND prove_at_epoch IS NULL`,
  proofSetInitCandidates: `SELECT id FROM pdp_proof_sets
    WHERE challenge_request_task_id IS NULL AND init_ready = 1 AND prove_at_epoch IS NULL ORDER BY id`,
  proofSetNextPeriodCandidates: `SELECT id FROM pdp_proof_sets
    WHERE challenge_request_task_id IS NULL AND (prove_at_epoch + challenge_window) <= ? ORDER BY id`,
  proofSetClaimChallengeTask: `UPDATE pdp_proof_sets SET challenge_request_task_id = ? WHERE id = ? AND challenge_request_task_id IS NULL`,
  proofSetByChallengeTask: `SELECT id FROM pdp_proof_sets WHERE challenge_request_task_id = ? ORDER BY id LIMIT 1`,
  proofSetByChallengeTaskProveAt: `SELECT id FROM pdp_proof_sets
    WHERE challenge_request_task_id = ? AND prove_at_epoch IS NOT NULL ORDER BY id LIMIT 1`,
  proofSetRecordChallenge: `UPDATE pdp_proof_sets SET challenge_request_msg_hash = ?, prev_challenge_request_epoch = ?, prove_at_epoch = ?
    WHERE id = ?`,
  proofSetProveCandidates: `SELECT p.id FROM pdp_proof_sets p
    JOIN message_waits_eth mw ON mw.signed_tx_hash = p.challenge_request_msg_hash
    WHERE p.challenge_request_msg_hash IS NOT NULL AND mw.tx_success = 1 AND p.prove_at_epoch < ?
    ORDER BY p.id LIMIT ?`,
  proofSetClearChallengeMsg: `UPDATE pdp_proof_sets SET challenge_request_msg_hash = NULL
    WHERE id = ? AND challenge_request_msg_hash IS NOT NULL`,

  proveTaskInsert: `INSERT INTO pdp_prove_tasks (proofset_id, task_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
  proveTaskByTask: `SELECT proofset_id FROM pdp_prove_tasks WHERE task_id = ? ORDER BY proofset_id`,
  proveTaskCount: `SELECT COUNT(*) AS n FROM pdp_prove_tasks WHERE proofset_id = ?`,

  commpGet: `SELECT mhash, size, commp FROM pdp_piece_mh_to_commp WHERE mhash = ?`,
  commpByCommp: `SELECT mhash, size, commp FROM pdp_piece_mh_to_commp WHERE commp = ? ORDER BY mhash LIMIT 1`,
  commpPut: `INSERT INTO pdp_piece_mh_to_commp (mhash, size, commp) VALUES (?, ?, ?) ON CONFLICT (mhash) DO NOTHING`,

  parkedFindReusable: `SELECT ${PARKED_PIECE_COLUMNS} FROM parked_pieces
    WHERE piece_cid = ? AND piece_padded_size = ? AND long_term = ? AND cleanup_task_id IS NULL
    ORDER BY id LIMIT 1`,
  parkedInsert: `INSERT INTO parked_pieces (created_at, piece_cid, piece_padded_size, piece_raw_size, complete, task_id,
    cleanup_task_id, long_term) VALUES (?, ?, ?, ?, ?, NULL, NULL, ?)`,
  parkedMarkComplete: `UPDATE parked_pieces SET complete = 1 WHERE id = ? AND complete = 0`,
  parkedGet: `SELECT ${PARKED_PIECE_COLUMNS} FROM parked_pieces WHERE id = ?`,
  parkedDelete: `DELETE FROM parked_pieces WHERE id = ?`,

  parkedRefFind: `SELECT ${PARKED_REF_COLUMNS} FROM parked_piece_refs
    WHERE piece_id = ? AND data_url = ? AND long_term = ? ORDER BY ref_id LIMIT 1`,
  parkedRefInsert: `INSERT INTO parked_piece_refs (piece_id, data_url, data_headers, long_term) VALUES (?, ?, ?, ?)`,
  parkedRefGet: `SELECT ${PARKED_REF_COLUMNS} FROM parked_piece_refs WHERE ref_id = ?`,
  parkedRefDelete: `DELETE FROM parked_piece_refs WHERE ref_id = ?`,
  parkedRefDeleteReleased: `DELETE FROM parked_piece_refs
    WHERE ref_id = (SELECT piece_ref FROM pdp_piecerefs WHERE id = ?)
      AND NOT EXISTS (SELECT 1 FROM pdp_piecerefs q WHERE q.piece_ref = parked_piece_refs.ref_id
        AND (q.proofset_refcount > 0 OR EXISTS (SELECT 1 FROM pdp_proofset_root_adds a WHERE a.pdp_piece_ref_id = q.id)))
    RETURNING ref_id`,

  pieceRefFind: `SELECT ${PIECE_REF_COLUMNS} FROM pdp_piecerefs
    WHERE service = ? AND piece_cid = ? AND piece_ref = ? ORDER BY id LIMIT 1`,
  pieceRefInsert: `INSERT INTO pdp_piecerefs (service, piece_cid, piece_ref, created_at, proofset_refcount) VALUES (?, ?, ?, ?, 0)`,
  pieceRefGet: `SELECT ${PIECE_REF_COLUMNS} FROM pdp_piecerefs WHERE id = ?`,
  pieceRefSubrootPieces: `SELECT ppr.piece_cid, ppr.id AS pdp_piece_ref_id, ppr.piece_ref, pp.piece_padded_size, pp.piece_raw_size
    FROM pdp_piecerefs ppr
    JOIN parked_piece_refs pprf ON pprf.ref_id = ppr.piece_ref
    JOIN parked_pieces pp ON pp.id = pprf.piece_id
    WHERE ppr.service = ? AND ppr.piece_cid IN (SELECT value FROM json_each(?))
    ORDER BY ppr.piece_cid, ppr.id`,

  uploadInsert: `INSERT INTO pdp_piece_uploads (id, service, check_hash_codec, check_hash, check_size, piece_cid, notify_url,
    notify_task_id, piece_ref, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, NULL, ?)`,
  uploadGet: `SELECT ${UPLOAD_COLUMNS} FROM pdp_piece_uploads WHERE id = ?`,
  uploadDelete: `DELETE FROM pdp_piece_uploads WHERE id = ?`,

  rootExisting: `SELECT DISTINCT root, add_message_hash FROM pdp_proofset_roots
    WHERE proofset_id = ? AND root IN (SELECT value FROM json_each(?)) ORDER BY root, add_message_hash`,
  rootInsert: `INSERT INTO pdp_proofset_roots (${ROOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING`,
  rootList: `SELECT ${ROOT_COLUMNS} FROM pdp_proofset_roots WHERE proofset_id = ? ORDER BY root_id, subroot_offset`,
  rootByRootId: `SELECT ${ROOT_COLUMNS} FROM pdp_proofset_roots WHERE proofset_id = ? AND root_id = ? ORDER BY subroot_offset`,
  rootDeleteRoot: `DELETE FROM pdp_proofset_roots WHERE proofset_id = ? AND root_id = ?`,

  rootAddPending: `SELECT DISTINCT root, add_message_hash FROM pdp_proofset_root_adds
    WHERE proofset_id = ? AND root IN (SELECT value FROM json_each(?)) AND add_message_ok IS NOT 0
    ORDER BY root, add_message_hash`,
  rootAddInsert: `INSERT INTO pdp_proofset_root_adds (${ROOT_ADD_COLUMNS}) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)`,
  rootAddReady: `SELECT r.proofset_id, r.add_message_hash, w.tx_receipt
    FROM (SELECT DISTINCT proofset_id, add_message_hash FROM pdp_proofset_root_adds
          WHERE add_message_ok = 1 AND add_message_hash IS NOT NULL) r
    LEFT JOIN message_waits_eth w ON w.signed_tx_hash = r.add_message_hash
    ORDER BY r.proofset_id, r.add_message_hash LIMIT ?`,
  rootAddConfirmedForMessage: `SELECT ${ROOT_ADD_COLUMNS} FROM pdp_proofset_root_adds
    WHERE proofset_id = ? AND add_message_hash = ? AND add_message_ok = 1
    ORDER BY add_message_index, subroot_offset`,
  rootAddForRoot: `SELECT ${ROOT_ADD_COLUMNS} FROM pdp_proofset_root_adds
    WHERE proofset_id = ? AND root = ? ORDER BY add_message_index, subroot_offset`,
  rootAddDeleteForMessage: `DELETE FROM pdp_proofset_root_adds WHERE proofset_id = ? AND add_message_hash = ?`,
  rootAddDeleteForRoot: `DELETE FROM pdp_proofset_root_adds WHERE proofset_id = ? AND root = ?`,
  rootAddDeleteFailed: `DELETE FROM pdp_proofset_root_adds
    WHERE add_message_ok = 0 AND (? IS NULL OR proofset_id = ?) AND (? IS NULL OR root IN (SELECT value FROM json_each(?)))`,

  registrationInProgress: `SELECT ${REGISTRATION_COLUMNS} FROM pdp_provider_registrations
    WHERE service = ? AND provider_registered = 0 AND (ok IS NULL OR ok = 1)
    ORDER BY created_at, register_message_hash LIMIT 1`,
  registrationInsert: `INSERT INTO pdp_provider_registrations (register_message_hash, ok, provider_registered, provider_id, service,
    created_at) VALUES (?, NULL, 0, NULL, ?, ?)`,
  registrationApplyConfirmation: `UPDATE pdp_provider_registrations
    SET ok = CASE WHEN ? = 0 THEN 0 WHEN ? = 1 THEN 1 ELSE ok END
    WHERE register_message_hash = ? AND provider_registered = 0`,
  registrationReady: `SELECT ${REGISTRATION_COLUMNS} FROM pdp_provider_registrations
    WHERE ok = 1 AND provider_registered = 0 ORDER BY created_at, register_message_hash LIMIT ?`,
  registrationMarkRegistered: `UPDATE pdp_provider_registrations SET provider_registered = 1, provider_id = ?
    WHERE register_message_hash = ? AND provider_registered = 0`,
  registrationGet: `SELECT ${REGISTRATION_COLUMNS} FROM pdp_provider_registrations WHERE register_message_hash = ?`,

  railGet: `SELECT rail_id, signed_tx_hash, created_at FROM rail_settlement_waits WHERE rail_id = ?`,
  railUpsert: `INSERT INTO rail_settlement_waits (rail_id, signed_tx_hash, created_at) VALUES (?, ?, ?)
    ON CONFLICT (rail_id) DO UPDATE SET signed_tx_hash = excluded.signed_tx_hash, created_at = excluded.created_at`,
  railDelete: `DELETE FROM rail_settlement_waits WHERE rail_id = ?`,

  withdrawalLatest: `SELECT id, signed_tx_hash, created_at FROM withdrawal_waits ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1`,
  withdrawalInsert: `INSERT INTO withdrawal_waits (signed_tx_hash, created_at) VALUES (?, ?)`,
  withdrawalDelete: `DELETE FROM withdrawal_waits WHERE id = ?`,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Connection-wide state: one mutex and one statement cache per better-sqlite3 Database

interface ConnectionState {
  readonly mutex: AsyncMutex;
  readonly statements: Map<string, Database.Statement>;
}

const connections = new WeakMap<Client, ConnectionState>();

function connectionState(client: Client): ConnectionState {
  let state = connections.get(client);
  if (!state) {
    state = { mutex: new AsyncMutex(), statements: new Map() };
    connections.set(client, state);
  }
  return state;
}

// ---------------------------------------------------------------------------------------------------------------
// SchedulerSql

export class SqliteSchedulerSql implements SchedulerSql {
  readonly #connection: SqliteStoreConnection;
  readonly #client: Client;
  readonly #state: ConnectionState;

  constructor(connection: SqliteStoreConnection) {
    this.#connection = connection;
    this.#client = connection.client;
    this.#state = connectionState(connection.client);
  }

  /** A file-level failure (disk full, I/O error, damaged file) is raised naming the scheduler's file, as the queues do. */
  async transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
    try {
      return await this.#transaction(fn);
    } catch (error) {
      throw storageError(this.#connection, error);
    }
  }

  async #transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
    assertNotNested(this.#client);
    const release = await this.#state.mutex.lock();
    try {
      const client = this.#client;
      client.exec('BEGIN IMMEDIATE');
      const scope = new TransactionScope(client);
      let result: T;
      try {
        result = await runInScope(scope, () => fn(this.#tx(scope)));
      } catch (error) {
        scope.close();
        if (client.inTransaction) client.exec('ROLLBACK');
        throw error;
      }
      scope.close();
      if (!client.inTransaction) throw new Error('scheduler transaction was rolled back by SQLite before COMMIT');
      try {
        client.exec('COMMIT');
      } catch (error) {
        if (client.inTransaction) client.exec('ROLLBACK');
        throw error;
      }
      return result;
    } finally {
      release();
    }
  }

  classifyError(error: unknown): SchedulerErrorKind {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
      if (!(e instanceof Database.SqliteError)) continue;
      const code = e.code;
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'lock';
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
      return 'other';
    }
    return 'other';
  }

  #stmt(text: string): Database.Statement {
    let statement = this.#state.statements.get(text);
    if (!statement) {
      statement = this.#client.prepare(text);
      this.#state.statements.set(text, statement);
    }
    return statement;
  }

  /** The operations of one transaction. Each checks the scope first and then runs synchronously. */
  #tx(scope: TransactionScope): SchedulerTx {
    const run = <R>(body: () => R): Promise<R> => {
      try {
        scope.assertOpen();
        return Promise.resolve(body());
      } catch (error) {
        return Promise.reject(error);
      }
    };
    const s = (text: string) => this.#stmt(text);
    return {
      tasks: tasks(run, s),
      taskHistory: taskHistory(run, s),
      sessions: sessions(run, s),
      messageSends: messageSends(run, s),
      messageSendLocks: messageSendLocks(run, s),
      messageWaits: messageWaits(run, s),
      proofSetCreates: proofSetCreates(run, s),
      proofSets: proofSets(run, s),
      proveTasks: proveTasks(run, s),
      pieceCommps: pieceCommps(run, s),
      parkedPieces: parkedPieces(run, s),
      parkedPieceRefs: parkedPieceRefs(run, s),
      pieceRefs: pieceRefs(run, s),
      pieceUploads: pieceUploads(run, s),
      roots: roots(run, s),
      rootAdds: rootAdds(run, s),
      providerRegistrations: providerRegistrations(run, s),
      railSettlementWaits: railSettlementWaits(run, s),
      withdrawalWaits: withdrawalWaits(run, s),
    };
  }
}

type Run = <R>(body: () => R) => Promise<R>;
type Stmt = (text: string) => Database.Statement;

// ---------------------------------------------------------------------------------------------------------------
// task

function tasks(run: Run, s: Stmt): TaskOps {
  return {
    insert: ({ name, addedBy, nowMs }) =>
      run(() => {
        const now = toDb(nowMs);
        return Number(s(SQL.taskInsert).run(now, now, addedBy, name).lastInsertRowid);
      }),
    claimable: ({ name, limit, after }) =>
      run(() => {
        const rows = (
          after
            ? s(SQL.taskClaimableAfter).all(name, after.updateTime, after.id, limit)
            : s(SQL.taskClaimable).all(name, limit)
        ) as Row[];
        return rows.map(
          (r): ClaimCandidate => ({
            id: Number(r.id),
            retries: Number(r.retries),
            updateTimeMs: fromDb(r.update_time as string),
            cursor: { updateTime: r.update_time as string, id: Number(r.id) },
          }),
        );
      }),
    claim: ({ ids, sessionId, nowMs }) =>
      run(() => {
        const now = toDb(nowMs);
        const claimed: OwnedTask[] = [];
        for (const id of ids) {
          const row = s(SQL.taskClaim).get(sessionId, now, id) as Row | undefined;
          if (row) claimed.push(ownedTask(row));
        }
        return claimed;
      }),
    deleteOwned: ({ id, sessionId }) => run(() => s(SQL.taskDeleteOwned).run(id, sessionId).changes === 1),
    deleteOwnedIfExhausted: ({ id, sessionId, maxFailures }) =>
      run(() => s(SQL.taskDeleteOwnedIfExhausted).run(id, sessionId, maxFailures).changes === 1),
    release: ({ id, sessionId, nowMs }) => run(() => s(SQL.taskRelease).run(toDb(nowMs), id, sessionId).changes === 1),
    releaseForRetry: ({ id, sessionId, nowMs }) =>
      run(() => s(SQL.taskReleaseForRetry).run(toDb(nowMs), id, sessionId).changes === 1),
    releaseSession: ({ sessionId }) => run(() => s(SQL.taskReleaseSession).run(sessionId).changes),
    releaseOrphaned: () => run(() => s(SQL.taskReleaseOrphaned).run().changes),
  };
}

function ownedTask(row: Row): OwnedTask {
  return {
    id: Number(row.id),
    name: row.name as string,
    retries: Number(row.retries),
    postedMs: fromDb(row.posted_time as string),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_history

function taskHistory(run: Run, s: Stmt): TaskHistoryOps {
  return {
    insert: (h) =>
      run(() => {
        s(SQL.historyInsert).run(
          h.taskId,
          h.name,
          toDb(h.postedMs),
          toDb(h.workStartMs),
          toDb(h.workEndMs),
          h.result ? 1 : 0,
          h.err,
          h.completedBySessionId,
        );
      }),
    pruneBefore: ({ cutoffMs, limit }) => run(() => s(SQL.historyPrune).run(toDb(cutoffMs), limit).changes),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_engine_sessions

function sessions(run: Run, s: Stmt): SessionOps {
  return {
    insert: ({ sessionId, nowMs }) =>
      run(() => {
        const now = toDb(nowMs);
        s(SQL.sessionInsert).run(sessionId, now, now);
      }),
    beat: ({ sessionId, nowMs }) => run(() => s(SQL.sessionBeat).run(toDb(nowMs), sessionId).changes === 1),
    lapsed: ({ cutoffMs, exceptSessionId }) =>
      run(() =>
        (s(SQL.sessionLapsed).all(toDb(cutoffMs), exceptSessionId) as Row[]).map((r) => ({
          sessionId: r.session_id as string,
          heartbeatMs: fromDb(r.heartbeat_at as string),
        })),
      ),
    delete: ({ sessionIds }) =>
      run(() => sessionIds.reduce((n, id) => n + s(SQL.sessionDelete).run(id).changes, 0)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_sends_eth, message_send_eth_locks

function messageSends(run: Run, s: Stmt): MessageSendOps {
  return {
    insert: (m) =>
      run(() => {
        s(SQL.sendInsert).run(m.fromAddress, m.toAddress, m.sendReason, m.taskId, Buffer.from(m.unsignedTx), m.unsignedHash);
      }),
    maxSentNonce: ({ fromAddress }) =>
      run(() => {
        const row = s(SQL.sendMaxNonce).get(fromAddress) as Row;
        return row.nonce === null ? undefined : Number(row.nonce);
      }),
    assignNonce: ({ taskId, nonce, signedTx, signedHash }) =>
      run(() => s(SQL.sendAssignNonce).run(nonce, Buffer.from(signedTx), signedHash, taskId).changes === 1),
    recordSend: ({ taskId, success, error, nowMs }) =>
      run(() => s(SQL.sendRecord).run(success ? 1 : 0, error, toDb(nowMs), taskId).changes === 1),
    pruneFinished: ({ cutoffMs, limit }) => run(() => s(SQL.sendPrune).run(toDb(cutoffMs), limit).changes),
    get: ({ taskId }) =>
      run(() => {
        const row = s(SQL.sendGet).get(taskId) as Row | undefined;
        return row && messageSendRow(row);
      }),
  };
}

function messageSendRow(r: Row): MessageSendRow {
  return {
    taskId: Number(r.send_task_id),
    fromAddress: r.from_address as string,
    toAddress: r.to_address as string,
    sendReason: r.send_reason as string,
    unsignedTx: r.unsigned_tx as Uint8Array,
    unsignedHash: r.unsigned_hash as string,
    nonce: int(r.nonce),
    signedTx: (r.signed_tx ?? null) as Uint8Array | null,
    signedHash: (r.signed_hash ?? null) as string | null,
    sendTimeMs: time(r.send_time),
    sendSuccess: bool(r.send_success),
    sendError: (r.send_error ?? null) as string | null,
    taskPresent: Number(r.task_present) === 1,
  };
}

function messageSendLocks(run: Run, s: Stmt): MessageSendLockOps {
  return {
    acquire: ({ fromAddress, taskId, nowMs }) =>
      run(() => s(SQL.lockAcquire).run(fromAddress, taskId, toDb(nowMs)).changes === 1),
    release: ({ fromAddress, taskId }) => run(() => s(SQL.lockRelease).run(fromAddress, taskId).changes === 1),
    holder: ({ fromAddress }) =>
      run(() => {
        const row = s(SQL.lockHolder).get(fromAddress) as Row | undefined;
        return row && { taskId: Number(row.task_id), claimedAtMs: fromDb(row.claimed_at as string) };
      }),
    takeOverStale: ({ fromAddress, taskId, nowMs }) =>
      run(() => {
        const stale = s(SQL.lockStaleHolder).get(fromAddress, taskId) as Row | undefined;
        if (!stale) return undefined;
        const previous = Number(stale.task_id);
        return s(SQL.lockTakeOver).run(taskId, toDb(nowMs), fromAddress, previous).changes === 1 ? previous : undefined;
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

function messageWaits(run: Run, s: Stmt): MessageWaitOps {
  return {
    pruneConfirmed: ({ cutoffMs, limit }) => run(() => s(SQL.waitPrune).run(toDb(cutoffMs), limit).changes),
    insertPending: ({ signedTxHash, ignoreExisting }) =>
      run(() => s(ignoreExisting ? SQL.waitInsertPendingIgnore : SQL.waitInsertPending).run(signedTxHash).changes === 1),
    markWatched: () => run(() => s(SQL.waitMarkWatched).run().changes),
    watched: ({ limit }) => run(() => (s(SQL.waitWatched).all(limit) as Row[]).map((r) => r.signed_tx_hash as string)),
    confirm: (c) =>
      run(
        () =>
          s(SQL.waitConfirm).run(
            c.blockNumber,
            c.txHash,
            toJson(c.txData),
            toJson(c.receipt),
            c.success ? 1 : 0,
            c.signedTxHash,
          ).changes === 1,
      ),
    confirmSuccessful: ({ signedTxHash }) => run(() => s(SQL.waitConfirmSuccessful).run(signedTxHash).changes === 1),
    get: ({ signedTxHash }) =>
      run(() => {
        const row = s(SQL.waitGet).get(signedTxHash) as Row | undefined;
        return row && messageWaitRow(row);
      }),
    delete: ({ signedTxHash }) => run(() => s(SQL.waitDelete).run(signedTxHash).changes === 1),
  };
}

function messageWaitRow(r: Row): MessageWaitRow {
  return {
    signedTxHash: r.signed_tx_hash as string,
    waiterMachineId: int(r.waiter_machine_id),
    confirmedBlockNumber: int(r.confirmed_block_number),
    confirmedTxHash: (r.confirmed_tx_hash ?? null) as string | null,
    confirmedTxData: fromJson(r.confirmed_tx_data),
    txStatus: (r.tx_status ?? null) as string | null,
    txReceipt: fromJson(r.tx_receipt),
    txSuccess: bool(r.tx_success),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_creates, pdp_proof_sets, pdp_prove_tasks

function proofSetCreates(run: Run, s: Stmt): ProofSetCreateOps {
  return {
    insert: ({ createMessageHash, service, nowMs }) =>
      run(() => {
        s(SQL.createInsert).run(createMessageHash, service, toDb(nowMs));
      }),
    get: ({ createMessageHash }) =>
      run(() => {
        const row = s(SQL.createGet).get(createMessageHash) as Row | undefined;
        return row && proofSetCreateRow(row);
      }),
    ready: ({ limit }) =>
      run(() =>
        (s(SQL.createReady).all(limit) as Row[]).map((r) => ({ ...proofSetCreateRow(r), txReceipt: fromJson(r.tx_receipt) })),
      ),
    markCreated: ({ createMessageHash }) => run(() => s(SQL.createMarkCreated).run(createMessageHash).changes === 1),
  };
}

function proofSetCreateRow(r: Row): ProofSetCreateRow {
  return {
    createMessageHash: r.create_message_hash as string,
    ok: bool(r.ok),
    proofsetCreated: bool(r.proofset_created) === true,
    service: r.service as string,
    createdAtMs: fromDb(r.created_at as string),
  };
}

function proofSets(run: Run, s: Stmt): ProofSetOps {
  const one = (text: string, ...params: unknown[]) => {
    const row = s(text).get(...params) as Row | undefined;
    return row && proofSetRow(row);
  };
  const ids = (text: string, ...params: unknown[]) => (s(text).all(...params) as Row[]).map((r) => Number(r.id));
  return {
    insert: (p) =>
      run(
        () =>
          s(SQL.proofSetInsert).run(p.id, p.createMessageHash, p.service, p.provingPeriod, p.challengeWindow).changes === 1,
      ),
    get: ({ id }) => run(() => one(SQL.proofSetGet, id)),
    getByCreateMessageHash: ({ createMessageHash }) => run(() => one(SQL.proofSetByCreate, createMessageHash)),
    list: ({ service }) => run(() => (s(SQL.proofSetList).all(service) as Row[]).map(proofSetRow)),
    delete: ({ id }) => run(() => s(SQL.proofSetDelete).run(id).changes === 1),
    markInitReady: ({ id }) => run(() => s(SQL.proofSetMarkInitReady).run(id).changes === 1),
    initCandidates: () => run(() => ids(SQL.proofSetInitCandidates)),
    nextPeriodCandidates: ({ height }) => run(() => ids(SQL.proofSetNextPeriodCandidates, height)),
    claimChallengeTask: ({ id, taskId }) => run(() => s(SQL.proofSetClaimChallengeTask).run(taskId, id).changes === 1),
    byChallengeTask: ({ taskId, requireProveAt }) =>
      run(() => ids(requireProveAt ? SQL.proofSetByChallengeTaskProveAt : SQL.proofSetByChallengeTask, taskId)[0]),
    recordChallengeRequest: ({ id, msgHash, prevEpoch, proveAtEpoch }) =>
      run(() => s(SQL.proofSetRecordChallenge).run(msgHash, prevEpoch, proveAtEpoch, id).changes === 1),
    proveCandidates: ({ height, limit }) => run(() => ids(SQL.proofSetProveCandidates, height, limit)),
    clearChallengeMsg: ({ id }) => run(() => s(SQL.proofSetClearChallengeMsg).run(id).changes === 1),
  };
}

function proofSetRow(r: Row): ProofSetRow {
  return {
    id: Number(r.id),
    prevChallengeRequestEpoch: int(r.prev_challenge_request_epoch),
    challengeRequestTaskId: int(r.challenge_request_task_id),
    challengeRequestMsgHash: (r.challenge_request_msg_hash ?? null) as string | null,
    provingPeriod: int(r.proving_period),
    challengeWindow: int(r.challenge_window),
    proveAtEpoch: int(r.prove_at_epoch),
    initReady: bool(r.init_ready) === true,
    createMessageHash: r.create_message_hash as string,
    service: r.service as string,
  };
}

function proveTasks(run: Run, s: Stmt): ProveTaskOps {
  return {
    insert: ({ proofSetId, taskId }) => run(() => s(SQL.proveTaskInsert).run(proofSetId, taskId).changes === 1),
    byTask: ({ taskId }) => run(() => (s(SQL.proveTaskByTask).all(taskId) as Row[]).map((r) => Number(r.proofset_id))),
    countForProofSet: ({ proofSetId }) => run(() => Number((s(SQL.proveTaskCount).get(proofSetId) as Row).n)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_piece_mh_to_commp, parked_pieces, parked_piece_refs, pdp_piecerefs, pdp_piece_uploads

function pieceCommps(run: Run, s: Stmt): PieceCommpOps {
  const one = (text: string, param: unknown) => {
    const row = s(text).get(param) as Row | undefined;
    return row && commpEntry(row);
  };
  return {
    get: ({ mhash }) => run(() => one(SQL.commpGet, Buffer.from(mhash))),
    byCommp: ({ commp }) => run(() => one(SQL.commpByCommp, commp)),
    put: ({ mhash, size, commp }) => run(() => s(SQL.commpPut).run(Buffer.from(mhash), size, commp).changes === 1),
  };
}

function commpEntry(r: Row): CommpEntry {
  return { mhash: r.mhash as Uint8Array, size: Number(r.size), commp: r.commp as string };
}

function parkedPieces(run: Run, s: Stmt): ParkedPieceOps {
  const one = (text: string, ...params: unknown[]) => {
    const row = s(text).get(...params) as Row | undefined;
    return row && parkedPieceRow(row);
  };
  return {
    // Transactions on this connection are already serial (BEGIN IMMEDIATE under the connection's mutex).
    lockPieceCid: () => run(() => undefined),
    findReusable: ({ pieceCid, paddedSize, longTerm }) =>
      run(() => one(SQL.parkedFindReusable, pieceCid, paddedSize, longTerm ? 1 : 0)),
    insert: (p) =>
      run(() =>
        Number(
          s(SQL.parkedInsert).run(toDb(p.nowMs), p.pieceCid, p.paddedSize, p.rawSize, p.complete ? 1 : 0, p.longTerm ? 1 : 0)
            .lastInsertRowid,
        ),
      ),
    markComplete: ({ id }) => run(() => s(SQL.parkedMarkComplete).run(id).changes === 1),
    get: ({ id }) => run(() => one(SQL.parkedGet, id)),
    delete: ({ id }) => run(() => s(SQL.parkedDelete).run(id).changes === 1),
  };
}

function parkedPieceRow(r: Row): ParkedPieceRow {
  return {
    id: Number(r.id),
    createdAtMs: time(r.created_at),
    pieceCid: r.piece_cid as string,
    paddedSize: Number(r.piece_padded_size),
    rawSize: Number(r.piece_raw_size),
    complete: bool(r.complete) === true,
    taskId: int(r.task_id),
    cleanupTaskId: int(r.cleanup_task_id),
    longTerm: bool(r.long_term) === true,
  };
}

function parkedPieceRefs(run: Run, s: Stmt): ParkedPieceRefOps {
  const one = (text: string, ...params: unknown[]) => {
    const row = s(text).get(...params) as Row | undefined;
    return row && parkedPieceRefRow(row);
  };
  return {
    find: ({ pieceId, dataUrl, longTerm }) => run(() => one(SQL.parkedRefFind, pieceId, dataUrl, longTerm ? 1 : 0)),
    insert: ({ pieceId, dataUrl, dataHeaders, longTerm }) =>
      run(() =>
        Number(s(SQL.parkedRefInsert).run(pieceId, dataUrl, toJson(dataHeaders) ?? '{}', longTerm ? 1 : 0).lastInsertRowid),
      ),
    get: ({ refId }) => run(() => one(SQL.parkedRefGet, refId)),
    delete: ({ refId }) => run(() => s(SQL.parkedRefDelete).run(refId).changes === 1),
    deleteReleasedByPieceRef: ({ pdpPieceRefId }) =>
      run(() => (s(SQL.parkedRefDeleteReleased).all(pdpPieceRefId) as Row[]).map((r) => Number(r.ref_id))),
  };
}

function parkedPieceRefRow(r: Row): ParkedPieceRefRow {
  return {
    refId: Number(r.ref_id),
    pieceId: Number(r.piece_id),
    dataUrl: (r.data_url ?? null) as string | null,
    dataHeaders: fromJson(r.data_headers),
    longTerm: bool(r.long_term) === true,
  };
}

function pieceRefs(run: Run, s: Stmt): PieceRefOps {
  const one = (text: string, ...params: unknown[]) => {
    const row = s(text).get(...params) as Row | undefined;
    return row && pieceRefRow(row);
  };
  return {
    find: ({ service, pieceCid, pieceRef }) => run(() => one(SQL.pieceRefFind, service, pieceCid, pieceRef)),
    insert: ({ service, pieceCid, pieceRef, nowMs }) =>
      run(() => Number(s(SQL.pieceRefInsert).run(service, pieceCid, pieceRef, toDb(nowMs)).lastInsertRowid)),
    get: ({ id }) => run(() => one(SQL.pieceRefGet, id)),
    subrootPieces: ({ service, pieceCids }) =>
      run(() =>
        (s(SQL.pieceRefSubrootPieces).all(service, JSON.stringify(pieceCids)) as Row[]).map(
          (r): SubrootPiece => ({
            pieceCid: r.piece_cid as string,
            pdpPieceRefId: Number(r.pdp_piece_ref_id),
            pieceRef: Number(r.piece_ref),
            paddedSize: Number(r.piece_padded_size),
            rawSize: Number(r.piece_raw_size),
          }),
        ),
      ),
  };
}

function pieceRefRow(r: Row): PieceRefRow {
  return {
    id: Number(r.id),
    service: r.service as string,
    pieceCid: r.piece_cid as string,
    pieceRef: int(r.piece_ref),
    createdAtMs: fromDb(r.created_at as string),
    proofsetRefcount: Number(r.proofset_refcount),
  };
}

function pieceUploads(run: Run, s: Stmt): PieceUploadOps {
  return {
    insert: (p) =>
      run(() => {
        s(SQL.uploadInsert).run(
          p.id,
          p.service,
          p.checkHashCodec,
          Buffer.from(p.checkHash),
          p.checkSize,
          p.notifyUrl,
          toDb(p.nowMs),
        );
      }),
    get: ({ id }) =>
      run(() => {
        const row = s(SQL.uploadGet).get(id) as Row | undefined;
        return row && pieceUploadRow(row);
      }),
    delete: ({ id }) => run(() => s(SQL.uploadDelete).run(id).changes === 1),
  };
}

function pieceUploadRow(r: Row): PieceUploadRow {
  return {
    id: r.id as string,
    service: r.service as string,
    checkHashCodec: r.check_hash_codec as string,
    checkHash: r.check_hash as Uint8Array,
    checkSize: Number(r.check_size),
    pieceCid: (r.piece_cid ?? null) as string | null,
    notifyUrl: r.notify_url as string,
    notifyTaskId: int(r.notify_task_id),
    pieceRef: int(r.piece_ref),
    createdAtMs: fromDb(r.created_at as string),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_roots, pdp_proofset_root_adds

function roots(run: Run, s: Stmt): RootOps {
  return {
    existing: ({ proofSetId, roots }) =>
      run(() => (s(SQL.rootExisting).all(proofSetId, JSON.stringify(roots)) as Row[]).map(rootMessage)),
    insert: (r) =>
      run(
        () =>
          s(SQL.rootInsert).run(
            r.proofSetId,
            r.rootId,
            r.subrootOffset,
            r.root,
            r.addMessageHash,
            r.addMessageIndex,
            r.subroot,
            r.subrootSize,
            r.pdpPieceRefId,
          ).changes === 1,
      ),
    list: ({ proofSetId }) => run(() => (s(SQL.rootList).all(proofSetId) as Row[]).map(rootRow)),
    byRootId: ({ proofSetId, rootId }) => run(() => (s(SQL.rootByRootId).all(proofSetId, rootId) as Row[]).map(rootRow)),
    deleteRoot: ({ proofSetId, rootId }) => run(() => s(SQL.rootDeleteRoot).run(proofSetId, rootId).changes),
  };
}

function rootMessage(r: Row): RootMessage {
  return { root: r.root as string, addMessageHash: (r.add_message_hash ?? null) as string | null };
}

function rootRow(r: Row): RootRow {
  return {
    proofSetId: Number(r.proofset_id),
    rootId: Number(r.root_id),
    subrootOffset: Number(r.subroot_offset),
    root: r.root as string,
    addMessageHash: r.add_message_hash as string,
    addMessageIndex: int(r.add_message_index),
    subroot: r.subroot as string,
    subrootOffsetVal: int(r.subroot_offset_val),
    subrootSize: int(r.subroot_size),
    pdpPieceRefId: int(r.pdp_piece_ref_id),
  };
}

function rootAdds(run: Run, s: Stmt): RootAddOps {
  return {
    pending: ({ proofSetId, roots }) =>
      run(() => (s(SQL.rootAddPending).all(proofSetId, JSON.stringify(roots)) as Row[]).map(rootMessage)),
    insert: (r) =>
      run(() => {
        s(SQL.rootAddInsert).run(
          r.proofSetId,
          r.addMessageHash,
          r.subrootOffset,
          r.root,
          r.addMessageIndex,
          r.subroot,
          r.subrootSize,
          r.pdpPieceRefId,
        );
      }),
    ready: ({ limit }) =>
      run(() =>
        (s(SQL.rootAddReady).all(limit) as Row[]).map((r) => ({
          proofSetId: Number(r.proofset_id),
          addMessageHash: r.add_message_hash as string,
          txReceipt: fromJson(r.tx_receipt),
        })),
      ),
    confirmedForMessage: ({ proofSetId, addMessageHash }) =>
      run(() => (s(SQL.rootAddConfirmedForMessage).all(proofSetId, addMessageHash) as Row[]).map(rootAddRow)),
    forRoot: ({ proofSetId, root }) => run(() => (s(SQL.rootAddForRoot).all(proofSetId, root) as Row[]).map(rootAddRow)),
    deleteForMessage: ({ proofSetId, addMessageHash }) =>
      run(() => s(SQL.rootAddDeleteForMessage).run(proofSetId, addMessageHash).changes),
    deleteForRoot: ({ proofSetId, root }) => run(() => s(SQL.rootAddDeleteForRoot).run(proofSetId, root).changes),
    deleteFailed: ({ proofSetId, roots }) =>
      run(() => {
        const id = proofSetId ?? null;
        const list = roots ? JSON.stringify(roots) : null;
        return s(SQL.rootAddDeleteFailed).run(id, id, list, list).changes;
      }),
  };
}

function rootAddRow(r: Row): RootAddRow {
  return {
    proofSetId: Number(r.proofset_id),
    addMessageHash: (r.add_message_hash ?? null) as string | null,
    subrootOffset: Number(r.subroot_offset),
    root: r.root as string,
    addMessageOk: bool(r.add_message_ok),
    addMessageIndex: int(r.add_message_index),
    subroot: r.subroot as string,
    subrootSize: int(r.subroot_size),
    pdpPieceRefId: int(r.pdp_piece_ref_id),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_provider_registrations, rail_settlement_waits, withdrawal_waits

function providerRegistrations(run: Run, s: Stmt): ProviderRegistrationOps {
  const one = (text: string, ...params: unknown[]) => {
    const row = s(text).get(...params) as Row | undefined;
    return row && registrationRow(row);
  };
  return {
    inProgress: ({ service }) => run(() => one(SQL.registrationInProgress, service)),
    insert: ({ registerMessageHash, service, nowMs }) =>
      run(() => {
        s(SQL.registrationInsert).run(registerMessageHash, service, toDb(nowMs));
      }),
    applyConfirmation: ({ registerMessageHash, success }) =>
      run(() => {
        const value = success === null ? null : success ? 1 : 0;
        return s(SQL.registrationApplyConfirmation).run(value, value, registerMessageHash).changes;
      }),
    ready: ({ limit }) => run(() => (s(SQL.registrationReady).all(limit) as Row[]).map(registrationRow)),
    markRegistered: ({ registerMessageHash, providerId }) =>
      run(() => s(SQL.registrationMarkRegistered).run(providerId, registerMessageHash).changes === 1),
    get: ({ registerMessageHash }) => run(() => one(SQL.registrationGet, registerMessageHash)),
  };
}

function registrationRow(r: Row): ProviderRegistrationRow {
  return {
    registerMessageHash: r.register_message_hash as string,
    ok: bool(r.ok),
    providerRegistered: bool(r.provider_registered) === true,
    providerId: int(r.provider_id),
    service: r.service as string,
    createdAtMs: fromDb(r.created_at as string),
  };
}

function railSettlementWaits(run: Run, s: Stmt): RailSettlementWaitOps {
  return {
    get: ({ railId }) =>
      run(() => {
        const r = s(SQL.railGet).get(railId) as Row | undefined;
        return (
          r &&
          ({ railId: r.rail_id as string, signedTxHash: r.signed_tx_hash as string, createdAtMs: time(r.created_at) } satisfies
            RailSettlementWaitRow)
        );
      }),
    upsert: ({ railId, signedTxHash, nowMs }) =>
      run(() => {
        s(SQL.railUpsert).run(railId, signedTxHash, toDb(nowMs));
      }),
    delete: ({ railId }) => run(() => s(SQL.railDelete).run(railId).changes === 1),
  };
}

function withdrawalWaits(run: Run, s: Stmt): WithdrawalWaitOps {
  return {
    latest: () =>
      run(() => {
        const r = s(SQL.withdrawalLatest).get() as Row | undefined;
        return (
          r &&
          ({ id: Number(r.id), signedTxHash: r.signed_tx_hash as string, createdAtMs: time(r.created_at) } satisfies
            WithdrawalWaitRow)
        );
      }),
    insert: ({ signedTxHash, nowMs }) =>
      run(() => Number(s(SQL.withdrawalInsert).run(signedTxHash, toDb(nowMs)).lastInsertRowid)),
    delete: ({ id }) => run(() => s(SQL.withdrawalDelete).run(id).changes === 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** The datetime codec's text form: `YYYY-MM-DD HH:MM:SS.mmm+00:00`. */
function toDb(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}+00:00`;
}

/** A nullable datetime column. */
function time(value: unknown): number | null {
  return value === null || value === undefined ? null : fromDb(value as string);
}

/** A nullable integer column. */
function int(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A nullable GORM bool (`numeric`, 0/1). */
function bool(value: unknown): boolean | null {
  return value === null || value === undefined ? null : Number(value) === 1;
}

/** A JSON column's value: text, except that NUMERIC affinity may have turned a bare number into one. */
function fromJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? null);
}

/** JSON text for a JSON column; null and undefined are SQL NULL. */
function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** Reads ours, `current_timestamp` defaults (`YYYY-MM-DD HH:MM:SS`, UTC) and Piri's local-offset nanosecond form. */
function fromDb(text: string): number {
  const iso = text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}
