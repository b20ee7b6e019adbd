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
import type { SqliteStoreConnection } from '../../backend/types.ts';
import { AsyncMutex, assertNotNested, runInScope, TransactionScope } from './transaction-scope.ts';
import type {
  ClaimCandidate,
  MessageSendLockOps,
  MessageSendOps,
  MessageWaitOps,
  OwnedTask,
  SchedulerErrorKind,
  SchedulerSql,
  SchedulerTx,
  SessionOps,
  TaskHistoryOps,
  TaskOps,
} from './types.ts';

type Client = Database.Database;
type Row = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// SQL

const TASK_COLUMNS = 'id, name, retries, posted_time';

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
  readonly #client: Client;
  readonly #state: ConnectionState;

  constructor(connection: SqliteStoreConnection) {
    this.#client = connection.client;
    this.#state = connectionState(connection.client);
  }

  async transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
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
  };
}

function messageSendLocks(run: Run, s: Stmt): MessageSendLockOps {
  return {
    acquire: ({ fromAddress, taskId, nowMs }) =>
      run(() => s(SQL.lockAcquire).run(fromAddress, taskId, toDb(nowMs)).changes === 1),
    release: ({ fromAddress, taskId }) => run(() => s(SQL.lockRelease).run(fromAddress, taskId).changes === 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

function messageWaits(run: Run, s: Stmt): MessageWaitOps {
  return {
    pruneConfirmed: ({ cutoffMs, limit }) => run(() => s(SQL.waitPrune).run(toDb(cutoffMs), limit).changes),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** The datetime codec's text form: `YYYY-MM-DD HH:MM:SS.mmm+00:00`. */
function toDb(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}+00:00`;
}

/** Reads ours, `current_timestamp` defaults (`YYYY-MM-DD HH:MM:SS`, UTC) and Piri's local-offset nanosecond form. */
function fromDb(text: string): number {
  const iso = text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}
