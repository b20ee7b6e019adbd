/**
 * Every Postgres queue statement, as text built once per store (schema-qualified names, nothing depends on
 * search_path) and run as a named prepared statement on the raw postgres-js pool. Mirrors sqlite.ts: same
 * exported names, same operations in the same order.
 *
 * - Claims lock their rows with FOR UPDATE SKIP LOCKED inside the claiming statement: a row another receiver
 *   is claiming is skipped, and a row it has claimed is re-checked against the WHERE clause, so no message is
 *   handed to two receivers while its window is open and no serialization error reaches a caller (READ
 *   COMMITTED). Piri's claim, without the lock, double-delivers (data-model §4.6).
 * - Every operation is one statement (data-modifying CTEs, or the dedup store's dedup_send function), so one round
 *   trip and atomic, except: the plain sweep, which reads bodies to name the jobs and then moves them, in one
 *   transaction; the dedup namespace lookup, an idempotent insert then a read; with dedupe on, the dedup requeue,
 *   which revives and then re-checks job_done in one transaction (withdrawDone says why); and a sendMany whose
 *   bodies add up to more than MAX_BODY_BYTES, several statements in one transaction (eachSlice).
 * - Times go in as ISO 8601 UTC text in parameters declared timestamptz (pgTime) and come out as epoch ms
 *   (msOf): the pool is shared with drizzle, which turns timestamptz parsing and serializing off, so no Date
 *   crosses the driver, and the planner sees plain timestamptz parameters, with no conversion in the SQL.
 * - job_done.status: 1 = succeeded, 2 = dead-lettered.
 */
import type postgres from 'postgres';
import type { Sql, TransactionSql } from 'postgres';
import type { PostgresStoreConnection } from '../../backend/types.ts';
import { MAX_BODY_BYTES } from '../arguments.ts';
import { WAKE_CHANNEL, type WakePayload } from '../wakeups/postgres-signals.ts';
import type { ClaimedRow, DeadSelection, DedupMessage, DedupQueueSql, PlainQueueSql } from './types.ts';

export function plainQueueSql({ client: sql, schema, store }: PostgresStoreConnection, payload: WakePayload): PlainQueueSql {
  const jobqueue = qualified(schema, 'jobqueue');
  const jobqueueDead = qualified(schema, 'jobqueue_dead');
  const time = (ms: number) => pgTime(sql, ms);
  const wake = (queue: string, visibleAt: number) => payload(store.name, queue, visibleAt);
  const insert = prepared(
    `${wakeCte(6)}
     INSERT INTO ${jobqueue} (id, created, updated, queue, body, timeout)
     SELECT $1::text, $2::timestamptz, $2::timestamptz, $3::text, $4::bytea, $5::timestamptz FROM wake`,
  );
  // The bodies go as one bytea cut by (offset, length) pairs rather than as a bytea[]: the server decodes one hex
  // string instead of parsing an array literal of them, about 1.1x the rows per second for 1,000 small bodies.
  const insertMany = prepared(
    `${wakeCte(6)}
     INSERT INTO ${jobqueue} (id, created, updated, queue, body, timeout)
     SELECT m.id, $3, $3, $4::text, substring($2::bytea FROM m.start FOR m.length), $5
     FROM unnest($1::text[], $8::int[], $9::int[]) AS m(id, start, length), wake`,
  );
  // `= ANY(ARRAY(...))` runs the locking select once and updates through the primary key, also in the generic
  // plan of the prepared statement (a join to the selected ids was planned as a scan of the whole table).
  const claim = prepared<ClaimedRow>(
    `WITH claimed AS (
       UPDATE ${jobqueue} SET timeout = $5, received = received + 1
       WHERE id = ANY(ARRAY(
         SELECT id FROM ${jobqueue} WHERE queue = $1 AND timeout <= $2 AND received < $3
         ORDER BY created, id LIMIT $4 FOR UPDATE SKIP LOCKED))
       RETURNING id, body, received, created
     )
     SELECT id, body, received FROM claimed ORDER BY created, id`,
  );
  // receive(), the single-message claim: the locking select is an InitPlan run once, the update goes through the
  // primary key, and there is no CTE to materialise and sort. $1 queue, $2 now, $3 max deliveries, $4 visible at.
  const claimOne = prepared<ClaimedRow>(
    `UPDATE ${jobqueue} SET timeout = $4, received = received + 1
     WHERE id = (SELECT id FROM ${jobqueue} WHERE queue = $1 AND timeout <= $2 AND received < $3
                 ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, body, received`,
  );
  const extend = prepared(`UPDATE ${jobqueue} SET timeout = $3 WHERE queue = $1 AND id = $2`);
  const deleteMany = prepared(`DELETE FROM ${jobqueue} WHERE queue = $1 AND id = ANY($2::text[])`);
  // Only where the delivery count is still the claim's: a lapsed claim that another receiver took is not ours.
  const release = prepared(
    `${wakeCte(5)}
     UPDATE ${jobqueue} j SET timeout = $4, received = j.received - 1
     FROM unnest($2::text[], $3::int[]) AS r(id, received), wake
     WHERE j.queue = $1 AND j.id = r.id AND j.received = r.received`,
  );
  // delete(id): a plain text parameter instead of a one-element array.
  const deleteOne = prepared(`DELETE FROM ${jobqueue} WHERE queue = $1 AND id = $2`);
  const deadLetter = prepared(
    `WITH moved AS (DELETE FROM ${jobqueue} WHERE queue = $1 AND id = $2 RETURNING *)
     INSERT INTO ${jobqueueDead} (id, created, updated, queue, body, timeout, received, job_name, failure_reason, error_message, moved_at)
     SELECT id, created, updated, queue, body, timeout, received, $3::text, $4::text, $5::text, $6 FROM moved`,
  );
  const exhausted = prepared<{ id: string; body: Buffer }>(
    `SELECT id, body FROM ${jobqueue} WHERE queue = $1 AND received >= $2 AND timeout <= $3
     ORDER BY created, id FOR UPDATE SKIP LOCKED`,
  );
  const moveNamed = prepared(
    `WITH moved AS (
       DELETE FROM ${jobqueue} j USING unnest($2::text[], $3::text[]) AS p(id, job_name)
       WHERE j.queue = $1 AND j.id = p.id RETURNING j.*, p.job_name
     )
     INSERT INTO ${jobqueueDead} (id, created, updated, queue, body, timeout, received, job_name, failure_reason, error_message, moved_at)
     SELECT id, created, updated, queue, body, timeout, received, job_name, $4::text, $5::text, $6 FROM moved`,
  );
  const deadWhere = `queue = $1
    AND ($2::text[] IS NULL OR id = ANY($2::text[]))
    AND ($3::text IS NULL OR job_name = $3::text)
    AND ($4::timestamptz IS NULL OR moved_at < $4::timestamptz)
    ORDER BY moved_at, id LIMIT $5`;
  const listDead = prepared<DeadRowOut>(
    `SELECT id, queue, job_name AS "jobName", body, received, failure_reason AS reason, error_message AS error,
            ${msOf('moved_at')} AS "movedAtMs"
     FROM ${jobqueueDead} WHERE ${deadWhere}`,
  );
  const requeueDead = prepared<{ count: number }>(
    `WITH picked AS (
       DELETE FROM ${jobqueueDead} WHERE id IN (SELECT id FROM ${jobqueueDead} WHERE ${deadWhere}) RETURNING id, created, queue, body
     ), revived AS (
       INSERT INTO ${jobqueue} (id, created, updated, queue, body, timeout, received)
       SELECT id, created, $6, queue, body, $6, 0 FROM picked ON CONFLICT (id) DO NOTHING
     ), wake AS (SELECT pg_notify($7::text, $8::text) FROM picked LIMIT 1)
     SELECT count(*)::int AS count FROM picked LEFT JOIN wake ON true`,
  );
  const purgeDead = prepared(`DELETE FROM ${jobqueueDead} WHERE id IN (SELECT id FROM ${jobqueueDead} WHERE ${deadWhere})`);
  const stats = prepared<StatsOut>(
    `SELECT count(*) FILTER (WHERE timeout <= $2 AND received < $3)::int AS ready,
            count(*) FILTER (WHERE timeout > $2 AND received > 0)::int AS "inFlight",
            count(*) FILTER (WHERE timeout > $2 AND received = 0)::int AS delayed,
            count(*) FILTER (WHERE timeout <= $2 AND received >= $3)::int AS exhausted,
            (SELECT count(*)::int FROM ${jobqueueDead} WHERE queue = $1) AS dead,
            ${msOf('min(created)')} AS "oldestCreatedMs"
     FROM ${jobqueue} WHERE queue = $1`,
  );

  return {
    async send(p) {
      await insert(sql, [p.id, time(p.now), p.queue, p.body, time(p.visibleAt), WAKE_CHANNEL, wake(p.queue, p.visibleAt)]);
    },
    async sendMany(p) {
      const messages = p.ids.map((id, i) => ({ id, body: p.bodies[i]! }));
      await eachSlice(sql, messages, (db, slice) => {
        const starts: number[] = [];
        let start = 1;
        for (const m of slice) {
          starts.push(start);
          start += m.body.length;
        }
        return insertMany(db, [
          sql.array(slice.map((m) => m.id), TEXT),
          Buffer.concat(slice.map((m) => m.body)),
          time(p.now),
          p.queue,
          time(p.visibleAt),
          WAKE_CHANNEL,
          wake(p.queue, p.visibleAt),
          sql.array(starts, INT4),
          sql.array(slice.map((m) => m.body.length), INT4),
        ]);
      });
    },
    async claim(p) {
      if (p.limit === 1) return [...(await claimOne(sql, [p.queue, time(p.now), p.maxDeliveries, time(p.visibleAt)]))];
      return [...(await claim(sql, [p.queue, time(p.now), p.maxDeliveries, p.limit, time(p.visibleAt)]))];
    },
    async extend(p) {
      return (await extend(sql, [p.queue, p.id, time(p.visibleAt)])).count > 0;
    },
    async deleteMany(p) {
      await (p.ids.length === 1 ? deleteOne(sql, [p.queue, p.ids[0]!]) : deleteMany(sql, [p.queue, sql.array([...p.ids], TEXT)]));
    },
    async release(p) {
      return (await release(sql, [p.queue, sql.array([...p.ids], TEXT), sql.array([...p.deliveries], INT4), time(p.now), WAKE_CHANNEL, wake(p.queue, p.now)])).count;
    },
    async deadLetter(p) {
      return (await deadLetter(sql, [p.queue, p.id, p.jobName, p.reason, p.error, time(p.now)])).count > 0;
    },
    async sweepExhausted(p) {
      return sql.begin(async (tx) => {
        const rows = await exhausted(tx, [p.queue, p.maxDeliveries, time(p.now)]);
        if (rows.length === 0) return 0;
        const ids = rows.map((r) => r.id);
        const names = rows.map((r) => p.jobNameOf(r.body));
        return (await moveNamed(tx, [p.queue, sql.array(ids, TEXT), sql.array(names, TEXT), p.reason, p.error, time(p.now)])).count;
      });
    },
    async listDead(p) {
      return [...(await listDead(sql, deadParams(sql, p, TEXT, time)))];
    },
    async requeueDead(p) {
      return (await requeueDead(sql, [...deadParams(sql, p, TEXT, time), time(p.now), WAKE_CHANNEL, wake(p.queue, p.now)]))[0]!.count;
    },
    async purgeDead(p) {
      return (await purgeDead(sql, deadParams(sql, p, TEXT, time))).count;
    },
    async stats(p) {
      const { oldestCreatedMs, ...counts } = (await stats(sql, [p.queue, time(p.now), p.maxDeliveries]))[0]!;
      return { ...counts, oldestCreatedMs: oldestCreatedMs ?? undefined };
    },
  };
}

export function dedupQueueSql({ client: sql, schema, store }: PostgresStoreConnection, payload: WakePayload): DedupQueueSql {
  const queues = qualified(schema, 'queues');
  const jobNs = qualified(schema, 'job_ns');
  const jobs = qualified(schema, 'jobs');
  const jobDone = qualified(schema, 'job_done');
  const jobDead = qualified(schema, 'job_dead');
  const wake = (queue: string, visibleAtS: number) => payload(store.name, queue, visibleAtS * 1000);
  const registerQueue = prepared(
    `INSERT INTO ${queues} (queue, dedupe_enabled) VALUES ($1, $2)
     ON CONFLICT (queue) DO UPDATE SET dedupe_enabled = excluded.dedupe_enabled`,
  );
  const insertNamespace = prepared(`INSERT INTO ${jobNs} (queue, name) VALUES ($1, $2) ON CONFLICT (queue, name) DO NOTHING`);
  // A separate statement after the insert: it sees a row a concurrent sender committed meanwhile.
  const namespace = prepared<{ id: number }>(`SELECT id FROM ${jobNs} WHERE queue = $1 AND name = $2`);
  // Sends go through the store's dedup_send function (migrations 0003_dedup_send and 0004_dedup_send_single say
  // why): one round trip, and a key whose completion commits while the send waits on it is withdrawn before the
  // send commits.
  const send = prepared<{ id: number; ns_id: number; key: Buffer }>(
    `${wakeCte(7)}
     SELECT s.id, s.ns_id, s.key
     FROM ${qualified(schema, 'dedup_send')}($1::int[], $2::bytea[], $3::bytea[], $4::bigint, $5::bigint, $6::boolean) AS s, wake`,
  );
  // A requeue's revived jobs are re-checked the same way, in its transaction: a later statement sees a completion
  // of the key that committed while the requeue waited on the key's job row.
  const withdrawDone = prepared(
    `DELETE FROM ${jobs} j WHERE j.id = ANY($1::bigint[])
       AND EXISTS (SELECT 1 FROM ${jobDone} d WHERE d.ns_id = j.ns_id AND d.key = j.key)`,
  );
  const inQueue = `ns_id IN (SELECT id FROM ${jobNs} WHERE queue = $1)`;
  const claim = prepared<{ id: number; body: Buffer; received: number }>(
    `WITH claimed AS (
       UPDATE ${jobs} SET attempts = attempts + 1, avail_s = $5
       WHERE id = ANY(ARRAY(
         SELECT id FROM ${jobs} WHERE ${inQueue} AND avail_s <= $2 AND attempts < $3
         ORDER BY created_s, id LIMIT $4 FOR UPDATE SKIP LOCKED))
       RETURNING id, body, attempts, created_s
     )
     SELECT id, body, attempts AS received FROM claimed ORDER BY created_s, id`,
  );
  const extend = prepared(`UPDATE ${jobs} SET avail_s = $3 WHERE id = $2::bigint AND ${inQueue}`);
  const deleteMany = prepared(
    `WITH gone AS (DELETE FROM ${jobs} WHERE id = ANY($2::bigint[]) AND ${inQueue} RETURNING ns_id, key)
     INSERT INTO ${jobDone} (ns_id, key, status, done_s) SELECT ns_id, key, 1, $3::bigint FROM gone WHERE $4::boolean
     ON CONFLICT (ns_id, key) DO NOTHING`,
  );
  const release = prepared(
    `${wakeCte(5)}
     UPDATE ${jobs} j SET avail_s = $4, attempts = j.attempts - 1
     FROM unnest($2::bigint[], $3::int[]) AS r(id, attempts), wake
     WHERE j.id = r.id AND j.attempts = r.attempts AND j.${inQueue}`,
  );
  // One statement moves the rows `which` picks (one id, or the exhausted ones) to job_dead, blocking their
  // keys when asked. Parameters: $1 queue, $2 reason, $3 error, $4 now, $5 block repeats, $6 id or max deliveries.
  const moveToDead = (which: string) =>
    prepared<{ count: number }>(
      `WITH moved AS (DELETE FROM ${jobs} WHERE ${inQueue} AND ${which} RETURNING id, ns_id, key, body, attempts),
       dead AS (
         INSERT INTO ${jobDead} (id, ns_id, key, body, attempts, reason, error, moved_s)
         SELECT id, ns_id, key, body, attempts, $2::text, $3::text, $4::bigint FROM moved
       ), blocked AS (
         INSERT INTO ${jobDone} (ns_id, key, status, done_s) SELECT ns_id, key, 2, $4::bigint FROM moved WHERE $5::boolean
         ON CONFLICT (ns_id, key) DO NOTHING
       )
       SELECT count(*)::int AS count FROM moved`,
    );
  const deadLetter = moveToDead(`id = $6::bigint`);
  const sweep = moveToDead(`attempts >= $6 AND avail_s <= $4`);
  const deadWhere = `ns.queue = $1
    AND ($2::bigint[] IS NULL OR d.id = ANY($2::bigint[]))
    AND ($3::text IS NULL OR ns.name = $3::text)
    AND ($4::bigint IS NULL OR d.moved_s < $4::bigint)
    ORDER BY d.moved_s, d.id LIMIT $5`;
  const listDead = prepared<Omit<DeadRowOut, 'id'> & { id: number }>(
    `SELECT d.id, ns.queue, ns.name AS "jobName", d.body, d.attempts AS received, d.reason, d.error,
            (d.moved_s * 1000)::float8 AS "movedAtMs"
     FROM ${jobDead} d JOIN ${jobNs} ns ON ns.id = d.ns_id WHERE ${deadWhere}`,
  );
  // Back into jobs with the original id, unless the key is live again (the live job does the work) or, with
  // dedupe, done since: then the dead letter is only dropped. Returns the revived ids for withdrawDone.
  const requeueDead = prepared<{ count: number; revived: number[] }>(
    `WITH picked AS (
       DELETE FROM ${jobDead} WHERE id IN (SELECT d.id FROM ${jobDead} d JOIN ${jobNs} ns ON ns.id = d.ns_id WHERE ${deadWhere})
       RETURNING id, ns_id, key, body
     ), unblocked AS (
       DELETE FROM ${jobDone} dn USING picked p WHERE dn.ns_id = p.ns_id AND dn.key = p.key AND dn.status = 2
     ), revived AS (
       INSERT INTO ${jobs} (id, ns_id, key, body, created_s, avail_s, attempts)
       SELECT p.id, p.ns_id, p.key, p.body, $6::bigint, $6::bigint, 0 FROM picked p
       WHERE NOT ($7::boolean AND EXISTS (SELECT 1 FROM ${jobDone} dn WHERE dn.ns_id = p.ns_id AND dn.key = p.key AND dn.status = 1))
       ORDER BY p.ns_id, p.key
       ON CONFLICT (ns_id, key) DO NOTHING
       RETURNING id
     ), wake AS (SELECT pg_notify($8::text, $9::text) FROM revived LIMIT 1)
     SELECT (SELECT count(*)::int FROM picked) AS count, ARRAY(SELECT id FROM revived) AS revived,
            (SELECT count(*) FROM wake) AS woke`,
  );
  const purgeDead = prepared(
    `DELETE FROM ${jobDead} WHERE id IN (SELECT d.id FROM ${jobDead} d JOIN ${jobNs} ns ON ns.id = d.ns_id WHERE ${deadWhere})`,
  );
  const stats = prepared<StatsOut>(
    `SELECT count(*) FILTER (WHERE avail_s <= $2 AND attempts < $3)::int AS ready,
            count(*) FILTER (WHERE avail_s > $2 AND attempts > 0)::int AS "inFlight",
            count(*) FILTER (WHERE avail_s > $2 AND attempts = 0)::int AS delayed,
            count(*) FILTER (WHERE avail_s <= $2 AND attempts >= $3)::int AS exhausted,
            (SELECT count(*)::int FROM ${jobDead} WHERE ${inQueue}) AS dead,
            (min(created_s) * 1000)::float8 AS "oldestCreatedMs"
     FROM ${jobs} WHERE ${inQueue}`,
  );

  return {
    async registerQueue(p) {
      await registerQueue(sql, [p.queue, Number(p.dedupeEnabled)]);
    },
    async namespace(p) {
      await insertNamespace(sql, [p.queue, p.jobName]);
      return (await namespace(sql, [p.queue, p.jobName]))[0]!.id;
    },
    async send(p) {
      const { nsId, key, body } = p.message;
      const [row] = await send(sql, [
        sql.array([nsId], INT4),
        sql.array([key], BYTEA),
        sql.array([body], BYTEA),
        p.nowS,
        p.visibleAtS,
        p.dedupeEnabled,
        WAKE_CHANNEL,
        wake(p.queue, p.visibleAtS),
      ]);
      return row === undefined ? undefined : String(row.id);
    },
    async sendMany(p) {
      // In (job name, key) order, the order dedup_send inserts in: the slices of a batch too big for one statement
      // then take their unique-index entries in one order, and such a batch cannot deadlock another either.
      const slices = await eachSlice(sql, inKeyOrder(p.messages), (db, slice) =>
        send(db, [
          sql.array(slice.map((m) => m.nsId), INT4),
          sql.array(slice.map((m) => m.key), BYTEA),
          sql.array(slice.map((m) => m.body), BYTEA),
          p.nowS,
          p.visibleAtS,
          p.dedupeEnabled,
          WAKE_CHANNEL,
          wake(p.queue, p.visibleAtS),
        ]),
      );
      // Each inserted row answers the first message with its (namespace, key); a repeat within the batch was skipped
      // (in a later slice too: it sees the rows the earlier slices inserted in the same transaction).
      const inserted = new Map(slices.flat().map((r) => [keyOf(r.ns_id, r.key), String(r.id)]));
      return p.messages.map((m) => {
        const key = keyOf(m.nsId, m.key);
        const id = inserted.get(key);
        inserted.delete(key);
        return id;
      });
    },
    async claim(p) {
      return (await claim(sql, [p.queue, p.nowS, p.maxDeliveries, p.limit, p.visibleAtS])).map((r) => ({ ...r, id: String(r.id) }));
    },
    async extend(p) {
      return (await extend(sql, [p.queue, p.id, p.visibleAtS])).count > 0;
    },
    async deleteMany(p) {
      await deleteMany(sql, [p.queue, sql.array([...p.ids], INT8), p.nowS, p.dedupeEnabled]);
    },
    async release(p) {
      const params = [p.queue, sql.array([...p.ids], INT8), sql.array([...p.deliveries], INT4), p.nowS, WAKE_CHANNEL, wake(p.queue, p.nowS)];
      return (await release(sql, params)).count;
    },
    async deadLetter(p) {
      await deadLetter(sql, [p.queue, p.reason, p.error, p.nowS, p.blockRepeats, p.id]);
    },
    async sweepExhausted(p) {
      return (await sweep(sql, [p.queue, p.reason, p.error, p.nowS, p.blockRepeats, p.maxDeliveries]))[0]!.count;
    },
    async listDead(p) {
      return (await listDead(sql, deadParams(sql, p, INT8, (seconds) => seconds))).map((r) => ({ ...r, id: String(r.id) }));
    },
    async requeueDead(p) {
      const params = [...deadParams(sql, p, INT8, (seconds) => seconds), p.nowS, p.dedupeEnabled, WAKE_CHANNEL, wake(p.queue, p.nowS)];
      if (!p.dedupeEnabled) return (await requeueDead(sql, params))[0]!.count;
      return sql.begin(async (tx) => {
        const { count, revived } = (await requeueDead(tx, params))[0]!;
        if (revived.length > 0) await withdrawDone(tx, [sql.array(revived, INT8)]);
        return count;
      });
    },
    async purgeDead(p) {
      return (await purgeDead(sql, deadParams(sql, p, INT8, (seconds) => seconds))).count;
    },
    async stats(p) {
      const { oldestCreatedMs, ...counts } = (await stats(sql, [p.queue, p.nowS, p.maxDeliveries]))[0]!;
      return { ...counts, oldestCreatedMs: oldestCreatedMs ?? undefined };
    },
  };
}

type Param = postgres.ParameterOrJSON<never>;

/** Type OIDs for sql.array's elements and sql.typed's parameters. */
const TEXT = 25;
const TIMESTAMPTZ = 1184;
const BYTEA = 17;
const INT4 = 23;
const INT8 = 20;

interface DeadRowOut {
  id: string;
  queue: string;
  jobName: string;
  body: Buffer;
  received: number;
  reason: string;
  error: string;
  movedAtMs: number;
}

interface StatsOut {
  ready: number;
  inFlight: number;
  delayed: number;
  exhausted: number;
  dead: number;
  oldestCreatedMs: number | null;
}

/**
 * A one-row CTE named `wake` that NOTIFYs $n (the channel) with $n+1 (the payload) when the statement's transaction
 * commits; the statement joins it. MATERIALIZED, so it runs once whatever the join order.
 */
function wakeCte(n: number): string {
  return `WITH wake AS MATERIALIZED (SELECT pg_notify($${n}::text, $${n + 1}::text))`;
}

/** A statement run as a named prepared statement (parsed once per pooled connection), on the pool or in a transaction. */
function prepared<Row extends object = never>(text: string) {
  return (db: Sql | TransactionSql, params: Param[]) => db.unsafe<Row[]>(text, params, { prepare: true });
}

function qualified(schema: string, table: string): string {
  return `${quote(schema)}.${quote(table)}`;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

const YEAR_1_MS = Date.parse('0001-01-01T00:00:00.000Z');

/**
 * Epoch ms as a parameter declared timestamptz: ISO 8601 UTC text, exact to the ms. Postgres has no year 0, which
 * toISOString writes for the year before 1: times before year 1 (a dead-letter filter's "before the beginning")
 * are -infinity.
 */
function pgTime(sql: Sql, ms: number): Param {
  return sql.typed(ms < YEAR_1_MS ? '-infinity' : new Date(ms).toISOString(), TIMESTAMPTZ);
}

/** Epoch ms of a timestamptz expression. */
function msOf(expression: string): string {
  return `(EXTRACT(EPOCH FROM ${expression}) * 1000)::float8`;
}

/**
 * $1 queue, $2 ids, $3 job name, $4 moved before (through `time`: the plain queue's are timestamptz, the dedup
 * queue's epoch seconds), $5 limit (NULL: none), as deadWhere expects them.
 */
function deadParams<Id extends string | number>(
  sql: Sql,
  selection: DeadSelection<Id, number>,
  idType: number,
  time: (movedBefore: number) => Param,
): Param[] {
  return [
    selection.queue,
    selection.ids === undefined ? null : sql.array([...selection.ids], idType),
    selection.jobName ?? null,
    selection.movedBefore === undefined ? null : time(selection.movedBefore),
    selection.limit ?? null,
  ];
}

/**
 * Runs one insert per slice of `messages` whose bodies add up to at most MAX_BODY_BYTES (send refuses a bigger body):
 * postgres-js sends an array parameter as one text string, two hex characters a bytea byte, and V8 caps a string
 * at 2^29 - 24 characters, so one statement cannot carry 256 MiB of bodies. The usual batch is one slice and one
 * statement; several slices run in one transaction, so the batch stays all or nothing.
 */
async function eachSlice<Message extends { readonly body: Buffer }, Result>(
  sql: Sql,
  messages: readonly Message[],
  insert: (db: Sql | TransactionSql, slice: Message[]) => Promise<Result>,
): Promise<Result[]> {
  const slices: Message[][] = [[]];
  let bytes = 0;
  for (const message of messages) {
    if (bytes + message.body.length > MAX_BODY_BYTES && slices.at(-1)!.length > 0) {
      slices.push([]);
      bytes = 0;
    }
    slices.at(-1)!.push(message);
    bytes += message.body.length;
  }
  if (slices.length === 1) return [await insert(sql, slices[0]!)];
  const results: Result[] = [];
  await sql.begin(async (tx) => {
    for (const slice of slices) results.push(await insert(tx, slice));
  });
  return results;
}

/**
 * The messages sorted by (namespace, key) as PostgreSQL orders them (bytea bytewise, as Buffer.compare), repeats in
 * batch order, when eachSlice will split them. A batch of one slice keeps its order, which dedup_send draws ids in;
 * a bigger one gets its ids in the batch's order within each slice only.
 */
function inKeyOrder(messages: readonly DedupMessage[]): readonly DedupMessage[] {
  if (messages.reduce((bytes, m) => bytes + m.body.length, 0) <= MAX_BODY_BYTES) return messages;
  return [...messages].sort((a, b) => a.nsId - b.nsId || Buffer.compare(a.key, b.key));
}

function keyOf(nsId: number, key: Buffer): string {
  return `${nsId}:${key.toString('hex')}`;
}
