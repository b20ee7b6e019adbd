/**
 * Every SQLite queue statement, prepared once per store connection. Mirrors postgres.ts: same exported names,
 * same operations in the same order.
 *
 * - Claims and every multi-statement operation run in BEGIN IMMEDIATE transactions: the write lock is taken
 *   up front, so a read-then-write never fails half way with SQLITE_BUSY.
 * - better-sqlite3 is synchronous, and so are these operations: they return their results, and index.ts adapts
 *   them to the drivers' promise-returning interface once, with no promise per call besides the result's.
 * - Plain-queue times are Piri's fixed-width UTC text `YYYY-MM-DDTHH:MM:SS.mmmZ` (the format of queueTime in
 *   schema/sqlite/columns.ts), compared as text: the width and zone must never vary. Rows written by a Piri
 *   process outside UTC carry an offset and compare wrongly until rewritten (docs/differences-from-piri.md).
 * - Dedup-queue times are integer epoch seconds. job_done.status: 1 = succeeded, 2 = dead-lettered.
 * - Lists of ids are bound as one JSON array and read with json_each, so one prepared statement serves any count.
 */
import type { SqliteStoreConnection } from '../../backend/types.ts';
import type {
  ClaimedRow,
  DeadRow,
  DeadSelection,
  DedupQueueSql,
  PlainQueueSql,
  StatsRow,
  Synchronous,
} from './types.ts';

/** Rows per sendMany statement (2 bound parameters each). */
const SEND_CHUNK = 100;

export function plainQueueSql({ client }: SqliteStoreConnection): Synchronous<PlainQueueSql> {
  // Positional parameters: the hottest statement, run for every send and for the rows of a sendMany that do not
  // fill a chunk, binds faster without a parameter object. (id, created, updated, queue, body, timeout).
  const insert = client.prepare<[string, string, string, string, Buffer, string]>(
    `INSERT INTO jobqueue (id, created, updated, queue, body, timeout) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  // sendMany's bulk statement: SEND_CHUNK rows per run, ids and bodies bound positionally in pairs, the times and
  // queue shared by name. One statement step per chunk instead of per row is most of what a batch costs in JS.
  const insertChunk = client.prepare<[(string | Buffer)[], { queue: string; now: string; visibleAt: string }]>(
    `INSERT INTO jobqueue (id, created, updated, queue, body, timeout) VALUES ${Array(SEND_CHUNK).fill('(?, @now, @now, @queue, ?, @visibleAt)').join(', ')}`,
  );
  const claim = client.prepare<
    { queue: string; now: string; visibleAt: string; maxDeliveries: number; limit: number },
    ClaimedRow & { created: string }
  >(
    `UPDATE jobqueue SET timeout = @visibleAt, received = received + 1
     WHERE id IN (SELECT id FROM jobqueue WHERE queue = @queue AND timeout <= @now AND received < @maxDeliveries
                  ORDER BY created, id LIMIT @limit)
     RETURNING id, body, received, created`,
  );
  // receive(), the single-message claim: `id = (scalar subquery)` updates in one pass and needs no sort in JS;
  // `id IN (list subquery)` above first collects the ids into a temporary table (about 1.5x the cost for one row).
  const claimOne = client.prepare<{ queue: string; now: string; visibleAt: string; maxDeliveries: number }, ClaimedRow>(
    `UPDATE jobqueue SET timeout = @visibleAt, received = received + 1
     WHERE id = (SELECT id FROM jobqueue WHERE queue = @queue AND timeout <= @now AND received < @maxDeliveries
                 ORDER BY created, id LIMIT 1)
     RETURNING id, body, received`,
  );
  const extend = client.prepare<{ queue: string; id: string; visibleAt: string }>(
    `UPDATE jobqueue SET timeout = @visibleAt WHERE queue = @queue AND id = @id`,
  );
  const deleteMany = client.prepare<{ queue: string; ids: string }>(
    // Unary + keeps the planner on the primary key: the (queue, created) index would scan the whole queue.
    `DELETE FROM jobqueue WHERE id IN (SELECT value FROM json_each(@ids)) AND +queue = @queue`,
  );
  // Claims as a JSON array of [id, delivery] pairs; only where the delivery count is still the claim's.
  const release = client.prepare<{ queue: string; claims: string; now: string }>(
    `UPDATE jobqueue SET timeout = @now, received = received - 1
     FROM (SELECT value ->> 0 AS id, value ->> 1 AS delivery FROM json_each(@claims)) AS r
     WHERE jobqueue.id = r.id AND jobqueue.received = r.delivery AND jobqueue.queue = @queue`,
  );
  const copyToDead = client.prepare<{ queue: string; id: string; jobName: string; reason: string; error: string; now: string }>(
    `INSERT INTO jobqueue_dead (id, created, updated, queue, body, timeout, received, job_name, failure_reason, error_message, moved_at)
     SELECT id, created, updated, queue, body, timeout, received, @jobName, @reason, @error, @now
     FROM jobqueue WHERE queue = @queue AND id = @id`,
  );
  const deleteOne = client.prepare<{ queue: string; id: string }>(`DELETE FROM jobqueue WHERE queue = @queue AND id = @id`);
  const exhausted = client.prepare<{ queue: string; now: string; maxDeliveries: number }, { id: string; body: Buffer }>(
    `SELECT id, body FROM jobqueue WHERE queue = @queue AND received >= @maxDeliveries AND timeout <= @now ORDER BY created, id`,
  );
  const deadWhere = `queue = @queue
    AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
    AND (@jobName IS NULL OR job_name = @jobName)
    AND (@movedBefore IS NULL OR moved_at < @movedBefore)
    ORDER BY moved_at, id LIMIT @limit`;
  const listDead = client.prepare<DeadBind, Omit<DeadRow, 'movedAtMs'> & { movedAt: string }>(
    `SELECT id, queue, job_name AS jobName, body, received, failure_reason AS reason, error_message AS error, moved_at AS movedAt
     FROM jobqueue_dead WHERE ${deadWhere}`,
  );
  const pickDead = client.prepare<DeadBind, { id: string }>(`SELECT id FROM jobqueue_dead WHERE ${deadWhere}`);
  const revive = client.prepare<{ ids: string; now: string }>(
    `INSERT INTO jobqueue (id, created, updated, queue, body, timeout, received)
     SELECT id, created, @now, queue, body, @now, 0 FROM jobqueue_dead WHERE id IN (SELECT value FROM json_each(@ids))
     ON CONFLICT (id) DO NOTHING`,
  );
  const dropDead = client.prepare<{ ids: string }>(`DELETE FROM jobqueue_dead WHERE id IN (SELECT value FROM json_each(@ids))`);
  const stats = client.prepare<{ queue: string; now: string; maxDeliveries: number }, Omit<StatsRow, 'oldestCreatedMs'> & { oldest: string | null }>(
    `SELECT count(*) FILTER (WHERE timeout <= @now AND received < @maxDeliveries) AS ready,
            count(*) FILTER (WHERE timeout > @now AND received > 0) AS inFlight,
            count(*) FILTER (WHERE timeout > @now AND received = 0) AS delayed,
            count(*) FILTER (WHERE timeout <= @now AND received >= @maxDeliveries) AS exhausted,
            (SELECT count(*) FROM jobqueue_dead WHERE queue = @queue) AS dead,
            min(created) AS oldest
     FROM jobqueue WHERE queue = @queue`,
  );

  const moveToDead = (bind: { queue: string; id: string; jobName: string; reason: string; error: string; now: string }) => {
    if (copyToDead.run(bind).changes === 0) return false;
    deleteOne.run(bind);
    return true;
  };
  const pickedDeadIds = (selection: DeadSelection<string, number>) => JSON.stringify(pickDead.all(deadBind(selection, time)).map((r) => r.id));

  const sendManyTx = client.transaction((p: Parameters<PlainQueueSql['sendMany']>[0]) => {
    const shared = { queue: p.queue, now: time(p.now), visibleAt: time(p.visibleAt) };
    const n = p.ids.length;
    const pairs: (string | Buffer)[] = new Array(2 * SEND_CHUNK);
    let i = 0;
    for (; i + SEND_CHUNK <= n; i += SEND_CHUNK) {
      for (let j = 0; j < SEND_CHUNK; j++) {
        pairs[2 * j] = p.ids[i + j]!;
        pairs[2 * j + 1] = p.bodies[i + j]!;
      }
      insertChunk.run(pairs, shared);
    }
    // The rest, fewer than a chunk, one row per run: one more statement instead of one per remainder size.
    for (; i < n; i++) insert.run(p.ids[i]!, shared.now, shared.now, p.queue, p.bodies[i]!, shared.visibleAt);
  });
  const claimTx = client.transaction((p: Parameters<PlainQueueSql['claim']>[0]) =>
    claim.all({ queue: p.queue, now: time(p.now), visibleAt: time(p.visibleAt), maxDeliveries: p.maxDeliveries, limit: p.limit }),
  );
  const claimOneTx = client.transaction((p: Parameters<PlainQueueSql['claim']>[0]) =>
    claimOne.all({ queue: p.queue, now: time(p.now), visibleAt: time(p.visibleAt), maxDeliveries: p.maxDeliveries })[0],
  );
  const deadLetterTx = client.transaction(moveToDead);
  const sweepTx = client.transaction((p: Parameters<PlainQueueSql['sweepExhausted']>[0]) => {
    const now = time(p.now);
    const rows = exhausted.all({ queue: p.queue, now, maxDeliveries: p.maxDeliveries });
    for (const row of rows) moveToDead({ queue: p.queue, id: row.id, jobName: p.jobNameOf(row.body), reason: p.reason, error: p.error, now });
    return rows.length;
  });
  const requeueTx = client.transaction((p: Parameters<PlainQueueSql['requeueDead']>[0]) => {
    const ids = pickedDeadIds(p);
    revive.run({ ids, now: time(p.now) });
    return dropDead.run({ ids }).changes;
  });
  const purgeTx = client.transaction((p: DeadSelection<string, number>) => dropDead.run({ ids: pickedDeadIds(p) }).changes);

  return {
    send(p) {
      const now = time(p.now);
      insert.run(p.id, now, now, p.queue, p.body, time(p.visibleAt));
    },
    sendMany(p) {
      sendManyTx.immediate(p);
    },
    claim(p) {
      if (p.limit === 1) {
        const row = claimOneTx.immediate(p);
        return row === undefined ? [] : [claimed(row)];
      }
      return claimTx.immediate(p).sort((a, b) => compare(a.created, b.created) || compare(a.id, b.id)).map(claimed);
    },
    extend(p) {
      return extend.run({ queue: p.queue, id: p.id, visibleAt: time(p.visibleAt) }).changes > 0;
    },
    deleteMany(p) {
      // delete(id): one primary-key lookup, without encoding a JSON array and scanning json_each.
      if (p.ids.length === 1) deleteOne.run({ queue: p.queue, id: p.ids[0]! });
      else deleteMany.run({ queue: p.queue, ids: JSON.stringify(p.ids) });
    },
    release(p) {
      return release.run({ queue: p.queue, claims: claimPairs(p.ids, p.deliveries), now: time(p.now) }).changes;
    },
    deadLetter(p) {
      return deadLetterTx.immediate({ queue: p.queue, id: p.id, jobName: p.jobName, reason: p.reason, error: p.error, now: time(p.now) });
    },
    sweepExhausted(p) {
      return sweepTx.immediate(p);
    },
    listDead(p) {
      return listDead.all(deadBind(p, time)).map(({ movedAt, ...row }) => ({ ...row, movedAtMs: Date.parse(movedAt) }));
    },
    requeueDead(p) {
      return requeueTx.immediate(p);
    },
    purgeDead(p) {
      return purgeTx.immediate(p);
    },
    stats(p) {
      const { oldest, ...counts } = stats.get({ queue: p.queue, now: time(p.now), maxDeliveries: p.maxDeliveries })!;
      return { ...counts, oldestCreatedMs: oldest === null ? undefined : Date.parse(oldest) };
    },
  };
}

export function dedupQueueSql({ client }: SqliteStoreConnection): Synchronous<DedupQueueSql> {
  const registerQueue = client.prepare<{ queue: string; dedupeEnabled: number }>(
    `INSERT INTO queues (queue, dedupe_enabled) VALUES (@queue, @dedupeEnabled)
     ON CONFLICT (queue) DO UPDATE SET dedupe_enabled = excluded.dedupe_enabled`,
  );
  const insertNamespace = client.prepare<{ queue: string; jobName: string }>(
    `INSERT INTO job_ns (queue, name) VALUES (@queue, @jobName) ON CONFLICT (queue, name) DO NOTHING`,
  );
  const namespace = client.prepare<{ queue: string; jobName: string }, { id: number }>(
    `SELECT id FROM job_ns WHERE queue = @queue AND name = @jobName`,
  );
  const insert = client.prepare<
    { nsId: number; key: Buffer; body: Buffer; nowS: number; visibleAtS: number; dedupeEnabled: number },
    { id: number }
  >(
    `INSERT INTO jobs (ns_id, key, body, created_s, avail_s)
     SELECT @nsId, @key, @body, @nowS, @visibleAtS
     WHERE NOT (@dedupeEnabled AND EXISTS (SELECT 1 FROM job_done WHERE ns_id = @nsId AND key = @key))
     ON CONFLICT (ns_id, key) DO NOTHING
     RETURNING id`,
  );
  const inQueue = `ns_id IN (SELECT id FROM job_ns WHERE queue = @queue)`;
  const claim = client.prepare<
    { queue: string; nowS: number; visibleAtS: number; maxDeliveries: number; limit: number },
    { id: number; body: Buffer; received: number; createdS: number }
  >(
    `UPDATE jobs SET attempts = attempts + 1, avail_s = @visibleAtS
     WHERE id IN (SELECT id FROM jobs WHERE ${inQueue} AND avail_s <= @nowS AND attempts < @maxDeliveries
                  ORDER BY created_s, id LIMIT @limit)
     RETURNING id, body, attempts AS received, created_s AS createdS`,
  );
  const extend = client.prepare<{ queue: string; id: number; visibleAtS: number }>(
    `UPDATE jobs SET avail_s = @visibleAtS WHERE id = @id AND ${inQueue}`,
  );
  const markDone = client.prepare<{ queue: string; ids: string; nowS: number; dedupeEnabled: number }>(
    `INSERT INTO job_done (ns_id, key, status, done_s)
     SELECT ns_id, key, 1, @nowS FROM jobs WHERE @dedupeEnabled AND id IN (SELECT value FROM json_each(@ids)) AND ${inQueue}
     ON CONFLICT (ns_id, key) DO NOTHING`,
  );
  const deleteMany = client.prepare<{ queue: string; ids: string }>(
    `DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(@ids)) AND ${inQueue}`,
  );
  const release = client.prepare<{ queue: string; claims: string; nowS: number }>(
    `UPDATE jobs SET avail_s = @nowS, attempts = attempts - 1
     FROM (SELECT value ->> 0 AS id, value ->> 1 AS delivery FROM json_each(@claims)) AS r
     WHERE jobs.id = r.id AND jobs.attempts = r.delivery AND jobs.${inQueue}`,
  );
  // A move to the dead letters is three statements over the same rows: `which` picks them (one id, or the
  // exhausted ones), and nothing else writes between the three (BEGIN IMMEDIATE).
  const moveToDead = (which: string) => {
    const copy = client.prepare<MoveBind>(
      `INSERT INTO job_dead (id, ns_id, key, body, attempts, reason, error, moved_s)
       SELECT id, ns_id, key, body, attempts, @reason, @error, @nowS FROM jobs WHERE ${inQueue} AND ${which}`,
    );
    const block = client.prepare<MoveBind>(
      `INSERT INTO job_done (ns_id, key, status, done_s)
       SELECT ns_id, key, 2, @nowS FROM jobs WHERE @blockRepeats AND ${inQueue} AND ${which}
       ON CONFLICT (ns_id, key) DO NOTHING`,
    );
    const remove = client.prepare<MoveBind>(`DELETE FROM jobs WHERE ${inQueue} AND ${which}`);
    return client.transaction((bind: MoveBind) => {
      const moved = copy.run(bind).changes;
      block.run(bind);
      remove.run(bind);
      return moved;
    });
  };
  const deadLetterTx = moveToDead(`id = @id`);
  const sweepTx = moveToDead(`attempts >= @maxDeliveries AND avail_s <= @nowS`);
  const deadWhere = `ns.queue = @queue
    AND (@ids IS NULL OR d.id IN (SELECT value FROM json_each(@ids)))
    AND (@jobName IS NULL OR ns.name = @jobName)
    AND (@movedBefore IS NULL OR d.moved_s < @movedBefore)
    ORDER BY d.moved_s, d.id LIMIT @limit`;
  const listDead = client.prepare<DeadBind, Omit<DeadRow, 'id' | 'movedAtMs'> & { id: number; movedS: number }>(
    `SELECT d.id, ns.queue, ns.name AS jobName, d.body, d.attempts AS received, d.reason, d.error, d.moved_s AS movedS
     FROM job_dead d JOIN job_ns ns ON ns.id = d.ns_id WHERE ${deadWhere}`,
  );
  const pickDead = client.prepare<DeadBind, { id: number }>(
    `SELECT d.id FROM job_dead d JOIN job_ns ns ON ns.id = d.ns_id WHERE ${deadWhere}`,
  );
  // Back into jobs with the original id, unless the key is live again (the live job does the work) or, with
  // dedupe, done since: then the dead letter is only dropped.
  const revive = client.prepare<{ ids: string; nowS: number; dedupeEnabled: number }>(
    `INSERT INTO jobs (id, ns_id, key, body, created_s, avail_s, attempts)
     SELECT d.id, d.ns_id, d.key, d.body, @nowS, @nowS, 0 FROM job_dead d
     WHERE d.id IN (SELECT value FROM json_each(@ids))
       AND NOT (@dedupeEnabled AND EXISTS (SELECT 1 FROM job_done dn WHERE dn.ns_id = d.ns_id AND dn.key = d.key AND dn.status = 1))
     ORDER BY d.id
     ON CONFLICT (ns_id, key) DO NOTHING`,
  );
  const unblock = client.prepare<{ ids: string }>(
    `DELETE FROM job_done WHERE status = 2
       AND (ns_id, key) IN (SELECT ns_id, key FROM job_dead WHERE id IN (SELECT value FROM json_each(@ids)))`,
  );
  const dropDead = client.prepare<{ ids: string }>(`DELETE FROM job_dead WHERE id IN (SELECT value FROM json_each(@ids))`);
  const stats = client.prepare<{ queue: string; nowS: number; maxDeliveries: number }, Omit<StatsRow, 'oldestCreatedMs'> & { oldestS: number | null }>(
    `SELECT count(*) FILTER (WHERE avail_s <= @nowS AND attempts < @maxDeliveries) AS ready,
            count(*) FILTER (WHERE avail_s > @nowS AND attempts > 0) AS inFlight,
            count(*) FILTER (WHERE avail_s > @nowS AND attempts = 0) AS delayed,
            count(*) FILTER (WHERE avail_s <= @nowS AND attempts >= @maxDeliveries) AS exhausted,
            (SELECT count(*) FROM job_dead WHERE ${inQueue}) AS dead,
            min(created_s) AS oldestS
     FROM jobs WHERE ${inQueue}`,
  );

  const send = (p: Parameters<DedupQueueSql['send']>[0]) => {
    // all(), not get(): a write that returns rows must be stepped to SQLITE_DONE. get() resets it after the first row,
    // and an autocommit write committed by the reset skips the WAL hook, so no automatic checkpoint ever runs and
    // the WAL file grows with every send (single sends run outside a transaction).
    const [row] = insert.all({ ...p.message, nowS: p.nowS, visibleAtS: p.visibleAtS, dedupeEnabled: Number(p.dedupeEnabled) });
    return row === undefined ? undefined : String(row.id);
  };
  const pickedDeadIds = (selection: DeadSelection<number, number>) => JSON.stringify(pickDead.all(deadBind(selection, (s) => s)).map((r) => r.id));

  const namespaceTx = client.transaction((p: Parameters<DedupQueueSql['namespace']>[0]) => {
    insertNamespace.run(p);
    return namespace.get(p)!.id;
  });
  const sendManyTx = client.transaction((p: Parameters<DedupQueueSql['sendMany']>[0]) =>
    p.messages.map((message) => send({ ...p, message })),
  );
  const claimTx = client.transaction((p: Parameters<DedupQueueSql['claim']>[0]) => claim.all(p));
  const deleteManyTx = client.transaction((p: Parameters<DedupQueueSql['deleteMany']>[0]) => {
    const ids = JSON.stringify(p.ids);
    markDone.run({ queue: p.queue, ids, nowS: p.nowS, dedupeEnabled: Number(p.dedupeEnabled) });
    deleteMany.run({ queue: p.queue, ids });
  });
  const requeueTx = client.transaction((p: Parameters<DedupQueueSql['requeueDead']>[0]) => {
    const ids = pickedDeadIds(p);
    revive.run({ ids, nowS: p.nowS, dedupeEnabled: Number(p.dedupeEnabled) });
    unblock.run({ ids });
    return dropDead.run({ ids }).changes;
  });
  const purgeTx = client.transaction((p: DeadSelection<number, number>) => dropDead.run({ ids: pickedDeadIds(p) }).changes);

  return {
    registerQueue(p) {
      registerQueue.run({ queue: p.queue, dedupeEnabled: Number(p.dedupeEnabled) });
    },
    namespace(p) {
      return namespaceTx.immediate(p);
    },
    send(p) {
      return send(p);
    },
    sendMany(p) {
      return sendManyTx.immediate(p);
    },
    claim(p) {
      return claimTx.immediate(p).sort((a, b) => a.createdS - b.createdS || a.id - b.id).map((r) => claimed({ ...r, id: String(r.id) }));
    },
    extend(p) {
      return extend.run(p).changes > 0;
    },
    deleteMany(p) {
      deleteManyTx.immediate(p);
    },
    release(p) {
      return release.run({ queue: p.queue, claims: claimPairs(p.ids, p.deliveries), nowS: p.nowS }).changes;
    },
    deadLetter(p) {
      deadLetterTx.immediate({ ...moveBind(p), id: p.id, maxDeliveries: null });
    },
    sweepExhausted(p) {
      return sweepTx.immediate({ ...moveBind(p), id: null, maxDeliveries: p.maxDeliveries });
    },
    listDead(p) {
      return listDead.all(deadBind(p, (s) => s)).map(({ id, movedS, ...row }) => ({ ...row, id: String(id), movedAtMs: movedS * 1000 }));
    },
    requeueDead(p) {
      return requeueTx.immediate(p);
    },
    purgeDead(p) {
      return purgeTx.immediate(p);
    },
    stats(p) {
      const { oldestS, ...counts } = stats.get(p)!;
      return { ...counts, oldestCreatedMs: oldestS === null ? undefined : oldestS * 1000 };
    },
  };
}

/** Plain-queue time column value for epoch ms. */
function time(ms: number): string {
  return new Date(ms).toISOString();
}

interface DeadBind {
  queue: string;
  ids: string | null;
  jobName: string | null;
  movedBefore: string | number | null;
  limit: number;
}

function deadBind<Id, Time>(selection: DeadSelection<Id, Time>, column: (t: Time) => string | number): DeadBind {
  return {
    queue: selection.queue,
    ids: selection.ids === undefined ? null : JSON.stringify(selection.ids),
    jobName: selection.jobName ?? null,
    movedBefore: selection.movedBefore === undefined ? null : column(selection.movedBefore),
    // SQLite: a negative LIMIT means none.
    limit: selection.limit ?? -1,
  };
}

interface MoveBind {
  queue: string;
  reason: string;
  error: string;
  nowS: number;
  blockRepeats: number;
  id: number | null;
  maxDeliveries: number | null;
}

function moveBind(p: { queue: string; reason: string; error: string; nowS: number; blockRepeats: boolean }) {
  return { queue: p.queue, reason: p.reason, error: p.error, nowS: p.nowS, blockRepeats: Number(p.blockRepeats) };
}

function claimed({ id, body, received }: ClaimedRow): ClaimedRow {
  return { id, body, received };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parallel lists of ids and deliveries as one JSON array of [id, delivery] pairs, for json_each. */
function claimPairs(ids: readonly (string | number)[], deliveries: readonly number[]): string {
  return JSON.stringify(ids.map((id, i) => [id, deliveries[i]]));
}
