/**
 * The task engine's rows (data-model §6.2.1, §6.2.2, §7): `task`, `task_history`, and piri-db's own
 * `task_engine_sessions`. Every finishing statement is conditional on the owning session, so a session that lost a
 * task changes nothing.
 */
import { task, taskEngineSessions, taskHistory } from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { anyOf, forUpdate, out, p, sql, table } from '../statement.ts';
import type { SessionOps, TaskHistoryOps, TaskOps } from '../types.ts';

const TASK = table(task);
const HISTORY = table(taskHistory);
const SESSIONS = table(taskEngineSessions);

const owner = sql`id = ${p.int('id')} AND session_id = ${p.text('sessionId')}`;
const candidate = sql`${out.int('id')}, ${out.int('retries')}, ${out.timeText('updateTime', 'update_time')},
  ${out.time('updateTimeMs', 'update_time')}`;

const S = {
  insert: sql`INSERT INTO ${TASK} (initiated_by, update_time, posted_time, session_id, added_by, previous_task, name, retries)
    VALUES (NULL, ${p.time('nowMs')}, ${p.time('nowMs')}, NULL, ${p.text('addedBy')}, NULL, ${p.text('name')}, 0)
    RETURNING ${out.int('id')}`,
  claimable: sql`SELECT ${candidate} FROM ${TASK} WHERE name = ${p.text('name')} AND session_id IS NULL
    ORDER BY update_time, id LIMIT ${p.int('limit')}${forUpdate({ skipLocked: true })}`,
  claimableAfter: sql`SELECT ${candidate} FROM ${TASK} WHERE name = ${p.text('name')} AND session_id IS NULL
    AND (update_time, id) > (${p.timeText('afterTime')}, ${p.int('afterId')})
    ORDER BY update_time, id LIMIT ${p.int('limit')}${forUpdate({ skipLocked: true })}`,
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

export function tasks(db: SqlSession): TaskOps {
  return {
    insert: async (a) => (await db.get(S.insert, a))!.id,
    claimable: ({ name, limit, after }) =>
      after
        ? db.all(S.claimableAfter, { name, limit, afterTime: after.updateTime, afterId: after.id })
        : db.all(S.claimable, { name, limit }),
    claim: async (a) => {
      if (a.ids.length === 0) return [];
      const order = new Map(a.ids.map((id, i) => [id, i]));
      return (await db.all(S.claim, a)).sort((x, y) => order.get(x.id)! - order.get(y.id)!);
    },
    deleteOwned: async (a) => (await db.run(S.deleteOwned, a)) === 1,
    deleteOwnedIfExhausted: async (a) => (await db.run(S.deleteOwnedIfExhausted, a)) === 1,
    release: async (a) => (await db.run(S.release, a)) === 1,
    releaseForRetry: async (a) => (await db.run(S.releaseForRetry, a)) === 1,
    releaseSession: (a) => db.run(S.releaseSession, a),
    releaseOrphaned: () => db.run(S.releaseOrphaned, {}),
  };
}

export function taskHistoryOps(db: SqlSession): TaskHistoryOps {
  return {
    insert: async (row) => void (await db.run(S.historyInsert, row)),
    pruneBefore: (a) => db.run(S.historyPrune, a),
  };
}

export function sessions(db: SqlSession): SessionOps {
  return {
    insert: async (a) => void (await db.run(S.sessionInsert, a)),
    beat: async (a) => (await db.run(S.sessionBeat, a)) === 1,
    lapsed: (a) => db.all(S.sessionLapsed, a),
    delete: async (a) => (a.sessionIds.length === 0 ? 0 : db.run(S.sessionDelete, a)),
  };
}
