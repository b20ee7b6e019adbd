/**
 * SchedulerSql on PostgreSQL (postgres-js, the installation's one pool shared by the four stores).
 *
 * A transaction is `sql.begin` on one pooled connection; transactions run concurrently, so there is no mutex.
 * Every statement names the store's schema (nothing relies on search_path) and runs as a named prepared
 * statement (`unsafe(text, params, { prepare: true })`; the texts are built once per schema).
 *
 * Values: the pool is also wrapped by drizzle, which turns timestamptz parsing and serialising off for the whole
 * pool. So times go in as ISO text cast to timestamptz, and come out as epoch milliseconds computed by the server
 * (`extract(epoch ...)`), never as driver-parsed values. bigint comes back as text and is converted with Number().
 *
 * Claims select their candidates FOR UPDATE SKIP LOCKED, and the claim itself is conditional on session_id IS
 * NULL, so a task is taken by exactly one engine even when several poll at once.
 *
 * Mirrors src/scheduler/sql/sqlite.ts: same sections, same order.
 */
import postgres, { type Sql, type TransactionSql } from 'postgres';
import type { PostgresStoreConnection } from '../../backend/types.ts';
import { assertNotNested, runInScope, TransactionScope } from './transaction-scope.ts';
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

type Row = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// SQL

const ms = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const TASK_COLUMNS = `id, name, retries, ${ms('posted_time')} AS posted_ms`;

/** Confirmed waits nothing refers to; `w` is message_waits_eth, $1 the send-time cutoff. */
const unreferencedWait = (t: (name: string) => string) => `w.tx_status = 'confirmed'
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_creates')} c WHERE c.create_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_roots')} r WHERE r.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_root_adds')} a WHERE a.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_provider_registrations')} g WHERE g.register_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proof_sets')} p WHERE p.challenge_request_msg_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('rail_settlement_waits')} rs WHERE rs.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('withdrawal_waits')} ww WHERE ww.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('message_sends_eth')} s
                      WHERE s.signed_hash = w.signed_tx_hash AND (s.send_time IS NULL OR s.send_time >= $1::timestamptz))`;

function statements(schema: string) {
  const t = (name: string) => `"${schema}"."${name}"`;
  return {
    taskInsert: `INSERT INTO ${t('task')} (initiated_by, update_time, posted_time, session_id, added_by, previous_task, name, retries)
      VALUES (NULL, $1::timestamptz, $1::timestamptz, NULL, $2, NULL, $3, 0) RETURNING id`,
    taskClaimable: `SELECT id, retries, update_time::text AS update_time, ${ms('update_time')} AS update_ms FROM ${t('task')}
      WHERE name = $1 AND session_id IS NULL
      ORDER BY update_time, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    taskClaimableAfter: `SELECT id, retries, update_time::text AS update_time, ${ms('update_time')} AS update_ms FROM ${t('task')}
      WHERE name = $1 AND session_id IS NULL AND (update_time, id) > ($2::timestamptz, $3::bigint)
      ORDER BY update_time, id LIMIT $4 FOR UPDATE SKIP LOCKED`,
    taskClaim: `UPDATE ${t('task')} SET session_id = $1, update_time = $2::timestamptz
      WHERE id = ANY($3::bigint[]) AND session_id IS NULL
      RETURNING ${TASK_COLUMNS}`,
    taskDeleteOwned: `DELETE FROM ${t('task')} WHERE id = $1 AND session_id = $2`,
    taskDeleteOwnedIfExhausted: `DELETE FROM ${t('task')} WHERE id = $1 AND session_id = $2 AND retries >= $3`,
    taskRelease: `UPDATE ${t('task')} SET session_id = NULL, update_time = $1::timestamptz WHERE id = $2 AND session_id = $3`,
    taskReleaseForRetry: `UPDATE ${t('task')} SET session_id = NULL, retries = retries + 1, update_time = $1::timestamptz
      WHERE id = $2 AND session_id = $3`,
    taskReleaseSession: `UPDATE ${t('task')} SET session_id = NULL WHERE session_id = $1`,
    taskReleaseOrphaned: `UPDATE ${t('task')} AS task SET session_id = NULL
      WHERE session_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${t('task_engine_sessions')} s WHERE s.session_id = task.session_id)`,

    historyInsert: `INSERT INTO ${t('task_history')} (task_id, name, posted, work_start, work_end, result, err, completed_by_session_id)
      VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8)`,
    historyPrune: `DELETE FROM ${t('task_history')} WHERE id IN (
      SELECT id FROM ${t('task_history')} WHERE work_end < $1::timestamptz ORDER BY id LIMIT $2)`,

    sessionInsert: `INSERT INTO ${t('task_engine_sessions')} (session_id, started_at, heartbeat_at)
      VALUES ($1, $2::timestamptz, $2::timestamptz)`,
    sessionBeat: `UPDATE ${t('task_engine_sessions')} SET heartbeat_at = $1::timestamptz WHERE session_id = $2`,
    sessionLapsed: `SELECT session_id, ${ms('heartbeat_at')} AS heartbeat_ms FROM ${t('task_engine_sessions')}
      WHERE heartbeat_at < $1::timestamptz AND session_id <> $2
      ORDER BY heartbeat_at FOR UPDATE SKIP LOCKED`,
    sessionDelete: `DELETE FROM ${t('task_engine_sessions')} WHERE session_id = ANY($1::text[])`,

    sendInsert: `INSERT INTO ${t('message_sends_eth')} (from_address, to_address, send_reason, send_task_id, unsigned_tx, unsigned_hash)
      VALUES ($1, $2, $3, $4, $5, $6)`,
    sendMaxNonce: `SELECT MAX(nonce)::float8 AS nonce FROM ${t('message_sends_eth')} WHERE from_address = $1 AND send_success = true`,
    sendAssignNonce: `UPDATE ${t('message_sends_eth')} SET nonce = $1, signed_tx = $2, signed_hash = $3 WHERE send_task_id = $4`,
    sendRecord: `UPDATE ${t('message_sends_eth')} SET send_success = $1, send_error = $2, send_time = $3::timestamptz
      WHERE send_task_id = $4`,
    sendPrune: `DELETE FROM ${t('message_sends_eth')} WHERE send_task_id IN (
      SELECT m.send_task_id FROM ${t('message_sends_eth')} m
      WHERE m.send_success IS NOT NULL AND m.send_time < $1::timestamptz
        AND NOT EXISTS (SELECT 1 FROM ${t('task')} t WHERE t.id = m.send_task_id)
        AND NOT (m.send_success AND m.nonce IS NOT NULL AND m.nonce = (
          SELECT MAX(k.nonce) FROM ${t('message_sends_eth')} k WHERE k.from_address = m.from_address AND k.send_success))
      ORDER BY m.send_task_id LIMIT $2)`,

    lockAcquire: `INSERT INTO ${t('message_send_eth_locks')} AS l (from_address, task_id, claimed_at) VALUES ($1, $2, $3::timestamptz)
      ON CONFLICT (from_address) DO UPDATE SET task_id = excluded.task_id, claimed_at = excluded.claimed_at
      WHERE l.task_id = excluded.task_id`,
    lockRelease: `DELETE FROM ${t('message_send_eth_locks')} WHERE from_address = $1 AND task_id = $2`,

    // Two statements: lock the candidates first, then delete them re-checking the references in a fresh snapshot
    // (READ COMMITTED: each statement sees what committed before it). A transaction adding a reference takes
    // KEY SHARE on the wait row, so it either committed before our lock (and the re-check sees it) or waits for us.
    waitPruneCandidates: `SELECT w.signed_tx_hash FROM ${t('message_waits_eth')} w
      WHERE ${unreferencedWait(t)}
      ORDER BY w.signed_tx_hash LIMIT $2 FOR UPDATE OF w SKIP LOCKED`,
    waitPruneDelete: `DELETE FROM ${t('message_waits_eth')} w
      WHERE w.signed_tx_hash = ANY($2::text[]) AND ${unreferencedWait(t)}`,
  } as const;
}

type Statements = ReturnType<typeof statements>;

// ---------------------------------------------------------------------------------------------------------------
// SchedulerSql

export class PostgresSchedulerSql implements SchedulerSql {
  readonly #sql: Sql;
  readonly #q: Statements;

  constructor(connection: PostgresStoreConnection) {
    this.#sql = connection.client;
    this.#q = statements(connection.schema);
  }

  async transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
    assertNotNested(this.#sql);
    const result = await this.#sql.begin(async (tsql) => {
      const scope = new TransactionScope(this.#sql);
      try {
        // Boxed: sql.begin would await a returned array of queries; ours is a plain value.
        return { value: await runInScope(scope, () => fn(this.#tx(tsql, scope))) };
      } finally {
        scope.close();
      }
    });
    return (result as { value: T }).value;
  }

  classifyError(error: unknown): SchedulerErrorKind {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
      if (!(e instanceof postgres.PostgresError)) continue;
      const code = e.code;
      if (code === '40001' || code === '40P01' || code === '55P03') return 'lock';
      if (code === '23505') return 'unique';
      return 'other';
    }
    return 'other';
  }

  #tx(tsql: TransactionSql, scope: TransactionScope): SchedulerTx {
    const query = async (text: string, params: unknown[]): Promise<postgres.RowList<Row[]>> => {
      scope.assertOpen();
      return tsql.unsafe<Row[]>(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
    };
    const q = this.#q;
    return {
      tasks: tasks(query, q),
      taskHistory: taskHistory(query, q),
      sessions: sessions(query, q),
      messageSends: messageSends(query, q),
      messageSendLocks: messageSendLocks(query, q),
      messageWaits: messageWaits(query, q),
    };
  }
}

type Query = (text: string, params: unknown[]) => Promise<postgres.RowList<Row[]>>;

// ---------------------------------------------------------------------------------------------------------------
// task

function tasks(query: Query, q: Statements): TaskOps {
  return {
    insert: async ({ name, addedBy, nowMs }) => {
      const [row] = await query(q.taskInsert, [toDb(nowMs), addedBy, name]);
      return Number(row!.id);
    },
    claimable: async ({ name, limit, after }) => {
      const rows = after
        ? await query(q.taskClaimableAfter, [name, after.updateTime, after.id, limit])
        : await query(q.taskClaimable, [name, limit]);
      return rows.map(
        (r): ClaimCandidate => ({
          id: Number(r.id),
          retries: Number(r.retries),
          updateTimeMs: Number(r.update_ms),
          cursor: { updateTime: r.update_time as string, id: Number(r.id) },
        }),
      );
    },
    claim: async ({ ids, sessionId, nowMs }) => {
      if (ids.length === 0) return [];
      const rows = await query(q.taskClaim, [sessionId, toDb(nowMs), ids]);
      const order = new Map(ids.map((id, i) => [id, i]));
      return rows.map(ownedTask).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    },
    deleteOwned: async ({ id, sessionId }) => (await query(q.taskDeleteOwned, [id, sessionId])).count === 1,
    deleteOwnedIfExhausted: async ({ id, sessionId, maxFailures }) =>
      (await query(q.taskDeleteOwnedIfExhausted, [id, sessionId, maxFailures])).count === 1,
    release: async ({ id, sessionId, nowMs }) => (await query(q.taskRelease, [toDb(nowMs), id, sessionId])).count === 1,
    releaseForRetry: async ({ id, sessionId, nowMs }) =>
      (await query(q.taskReleaseForRetry, [toDb(nowMs), id, sessionId])).count === 1,
    releaseSession: async ({ sessionId }) => (await query(q.taskReleaseSession, [sessionId])).count,
    releaseOrphaned: async () => (await query(q.taskReleaseOrphaned, [])).count,
  };
}

function ownedTask(row: Row): OwnedTask {
  return {
    id: Number(row.id),
    name: row.name as string,
    retries: Number(row.retries),
    postedMs: Number(row.posted_ms),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_history

function taskHistory(query: Query, q: Statements): TaskHistoryOps {
  return {
    insert: async (h) => {
      await query(q.historyInsert, [
        h.taskId,
        h.name,
        toDb(h.postedMs),
        toDb(h.workStartMs),
        toDb(h.workEndMs),
        h.result,
        h.err,
        h.completedBySessionId,
      ]);
    },
    pruneBefore: async ({ cutoffMs, limit }) => (await query(q.historyPrune, [toDb(cutoffMs), limit])).count,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_engine_sessions

function sessions(query: Query, q: Statements): SessionOps {
  return {
    insert: async ({ sessionId, nowMs }) => {
      await query(q.sessionInsert, [sessionId, toDb(nowMs)]);
    },
    beat: async ({ sessionId, nowMs }) => (await query(q.sessionBeat, [toDb(nowMs), sessionId])).count === 1,
    lapsed: async ({ cutoffMs, exceptSessionId }) =>
      (await query(q.sessionLapsed, [toDb(cutoffMs), exceptSessionId])).map((r) => ({
        sessionId: r.session_id as string,
        heartbeatMs: Number(r.heartbeat_ms),
      })),
    delete: async ({ sessionIds }) =>
      sessionIds.length === 0 ? 0 : (await query(q.sessionDelete, [sessionIds])).count,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_sends_eth, message_send_eth_locks

function messageSends(query: Query, q: Statements): MessageSendOps {
  return {
    insert: async (m) => {
      await query(q.sendInsert, [m.fromAddress, m.toAddress, m.sendReason, m.taskId, Buffer.from(m.unsignedTx), m.unsignedHash]);
    },
    maxSentNonce: async ({ fromAddress }) => {
      const [row] = await query(q.sendMaxNonce, [fromAddress]);
      return row?.nonce === null || row?.nonce === undefined ? undefined : Number(row.nonce);
    },
    assignNonce: async ({ taskId, nonce, signedTx, signedHash }) =>
      (await query(q.sendAssignNonce, [nonce, Buffer.from(signedTx), signedHash, taskId])).count === 1,
    recordSend: async ({ taskId, success, error, nowMs }) =>
      (await query(q.sendRecord, [success, error, toDb(nowMs), taskId])).count === 1,
    pruneFinished: async ({ cutoffMs, limit }) => (await query(q.sendPrune, [toDb(cutoffMs), limit])).count,
  };
}

function messageSendLocks(query: Query, q: Statements): MessageSendLockOps {
  return {
    acquire: async ({ fromAddress, taskId, nowMs }) =>
      (await query(q.lockAcquire, [fromAddress, taskId, toDb(nowMs)])).count === 1,
    release: async ({ fromAddress, taskId }) => (await query(q.lockRelease, [fromAddress, taskId])).count === 1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

function messageWaits(query: Query, q: Statements): MessageWaitOps {
  return {
    pruneConfirmed: async ({ cutoffMs, limit }) => {
      const cutoff = toDb(cutoffMs);
      const candidates = await query(q.waitPruneCandidates, [cutoff, limit]);
      if (candidates.length === 0) return 0;
      const hashes = candidates.map((r) => r.signed_tx_hash as string);
      return (await query(q.waitPruneDelete, [cutoff, hashes])).count;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** ISO text, cast to timestamptz in the statement (the pool's timestamptz serializer is drizzle's pass-through). */
function toDb(ms: number): string {
  return new Date(ms).toISOString();
}
