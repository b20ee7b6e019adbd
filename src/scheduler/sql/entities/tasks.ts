/**
 * The task engine's rows (data-model §6.2.1, §6.2.2, §6.2.19, §7). Every finishing statement is conditional on the
 * owning session, so a session that lost a task changes nothing and learns it from the `false` it gets back.
 */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { anyOf, forUpdate, out, p, type Params, type Row, sql, table } from '../statement.ts';

const TASK = table(schema.task);
const HISTORY = table(schema.taskHistory);
const SESSIONS = table(schema.taskEngineSessions);

const owner = sql`id = ${p.int('id')} AND session_id = ${p.text('sessionId')}`;
// updateTime is the database's own text: the claim scan's cursor must compare exactly as the index orders.
const candidate = sql`${out.int('id')}, ${out.int('retries')}, ${out.timeText('updateTime', 'update_time')},
  ${out.time('updateTimeMs', 'update_time')}`;
// Postgres skips rows another engine is claiming right now.
const unowned = sql`name = ${p.text('name')} AND session_id IS NULL`;
const page = sql`ORDER BY update_time, id LIMIT ${p.int('limit')}${forUpdate({ skipLocked: true })}`;

const S = {
  insert: sql`INSERT INTO ${TASK} (initiated_by, update_time, posted_time, session_id, added_by, previous_task, name, retries)
    VALUES (NULL, ${p.time('nowMs')}, ${p.time('nowMs')}, NULL, ${p.text('addedBy')}, NULL, ${p.text('name')}, 0)
    RETURNING ${out.int('id')}`,
  claimable: sql`SELECT ${candidate} FROM ${TASK} WHERE ${unowned} ${page}`,
  claimableAfter: sql`SELECT ${candidate} FROM ${TASK}
    WHERE ${unowned} AND (update_time, id) > (${p.timeText('afterTime')}, ${p.int('afterId')}) ${page}`,
  claim: sql`UPDATE ${TASK} SET session_id = ${p.text('sessionId')}, update_time = ${p.time('nowMs')}
    WHERE id ${anyOf.ints('ids')} AND session_id IS NULL
    RETURNING ${out.int('id')}, ${out.text('name')}, ${out.int('retries')}, ${out.time('postedMs', 'posted_time')}`,
  deleteOwned: sql`DELETE FROM ${TASK} WHERE ${owner}`,
  deleteOwnedIfExhausted: sql`DELETE FROM ${TASK} WHERE ${owner} AND retries >= ${p.int('maxFailures')}`,
  release: sql`UPDATE ${TASK} SET session_id = NULL, update_time = ${p.time('nowMs')} WHERE ${owner}`,
  releaseForRetry: sql`UPDATE ${TASK} SET session_id = NULL, retries = retries + 1, update_time = ${p.time('nowMs')}
    WHERE ${owner}`,
  releaseSession: sql`UPDATE ${TASK} SET session_id = NULL WHERE session_id = ${p.text('sessionId')}`,
  releaseOrphaned: sql`UPDATE ${TASK} SET session_id = NULL WHERE session_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${SESSIONS} s WHERE s.session_id = ${TASK}.session_id)`,

  historyInsert: sql`INSERT INTO ${HISTORY} (task_id, name, posted, work_start, work_end, result, err, completed_by_session_id)
    VALUES (${p.int('taskId')}, ${p.text('name')}, ${p.time('postedMs')}, ${p.time('workStartMs')}, ${p.time('workEndMs')},
      ${p.bool('result')}, ${p.text('err')}, ${p.text('completedBySessionId')})`,
  historyPrune: sql`DELETE FROM ${HISTORY} WHERE id IN (
    SELECT id FROM ${HISTORY} WHERE work_end < ${p.time('cutoffMs')} ORDER BY id LIMIT ${p.int('limit')})`,

  sessionInsert: sql`INSERT INTO ${SESSIONS} (session_id, started_at, heartbeat_at)
    VALUES (${p.text('sessionId')}, ${p.time('nowMs')}, ${p.time('nowMs')})`,
  sessionBeat: sql`UPDATE ${SESSIONS} SET heartbeat_at = ${p.time('nowMs')} WHERE session_id = ${p.text('sessionId')}`,
  sessionLapsed: sql`SELECT ${out.text('sessionId', 'session_id')}, ${out.time('heartbeatMs', 'heartbeat_at')} FROM ${SESSIONS}
    WHERE heartbeat_at < ${p.time('cutoffMs')} AND session_id <> ${p.text('exceptSessionId')}
    ORDER BY heartbeat_at${forUpdate({ skipLocked: true })}`,
  sessionDelete: sql`DELETE FROM ${SESSIONS} WHERE session_id ${anyOf.texts('sessionIds')}`,
};
type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

/** Where a claim scan stopped: the (update_time, id) of the last row seen, in the database's own representation. */
export type TaskCursor = { readonly updateTime: string; readonly id: number };
/** An unowned task a claim may take. */
export type ClaimCandidate = Row<typeof S.claimable>;
/** A task just claimed by a session. */
export type OwnedTask = Row<typeof S.claim>;
/** One finished attempt, as task_history records it. */
export type TaskHistoryRow = P<'historyInsert'>;

export const tasks = (db: SqlSession) => ({
  /** Returns its id (never reused). */
  insert: async (a: P<'insert'>) => (await db.get(S.insert, a))!.id,
  /** Unowned tasks of one type, oldest first, after `after` when given. */
  claimable: ({ after, ...a }: P<'claimable'> & { after?: TaskCursor }): Promise<ClaimCandidate[]> =>
    after ? db.all(S.claimableAfter, { ...a, afterTime: after.updateTime, afterId: after.id }) : db.all(S.claimable, a),
  /** The conditional claim: returns, in `ids` order, the rows actually taken (not those another session took). */
  claim: async (a: P<'claim'>): Promise<OwnedTask[]> => {
    if (a.ids.length === 0) return [];
    const order = new Map(a.ids.map((id, i) => [id, i]));
    return (await db.all(S.claim, a)).sort((x, y) => order.get(x.id)! - order.get(y.id)!);
  },
  /** Fires the FK cascades. */
  deleteOwned: async (a: P<'deleteOwned'>) => (await db.run(S.deleteOwned, a)) === 1,
  /** When retries >= maxFailures. */
  deleteOwnedIfExhausted: async (a: P<'deleteOwnedIfExhausted'>) => (await db.run(S.deleteOwnedIfExhausted, a)) === 1,
  /** A deferral: no retry counted. */
  release: async (a: P<'release'>) => (await db.run(S.release, a)) === 1,
  /** After a failed attempt: retries + 1. */
  releaseForRetry: async (a: P<'releaseForRetry'>) => (await db.run(S.releaseForRetry, a)) === 1,
  /** update_time unchanged. */
  releaseSession: (a: P<'releaseSession'>) => db.run(S.releaseSession, a),
  /** Tasks of sessions without a task_engine_sessions row (dead, or Piri's). */
  releaseOrphaned: () => db.run(S.releaseOrphaned, {}),
});

export const taskHistoryOps = (db: SqlSession) => ({
  insert: async (row: TaskHistoryRow) => void (await db.run(S.historyInsert, row)),
  /** Oldest ids first. */
  pruneBefore: (a: P<'historyPrune'>) => db.run(S.historyPrune, a),
});

export const sessions = (db: SqlSession) => ({
  insert: async (a: P<'sessionInsert'>) => void (await db.run(S.sessionInsert, a)),
  /** False when the row is gone: another engine declared this session dead. */
  beat: async (a: P<'sessionBeat'>) => (await db.run(S.sessionBeat, a)) === 1,
  /** Except the caller's own. */
  lapsed: (a: P<'sessionLapsed'>) => db.all(S.sessionLapsed, a),
  delete: async (a: P<'sessionDelete'>) => (a.sessionIds.length === 0 ? 0 : db.run(S.sessionDelete, a)),
});
