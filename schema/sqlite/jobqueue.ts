/**
 * Piri's queue tables (goqite-derived plain queue; dedup queue), shared by the replicator, aggregator and
 * egress_tracker stores. STRICT / WITHOUT ROWID and the updated-timestamp trigger cannot be declared in
 * drizzle; each store's custom migration adds them.
 */
import { sql } from 'drizzle-orm';
import { blob, foreignKey, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { queueTime } from './columns.ts';

const nowText = sql`(strftime('%Y-%m-%dT%H:%M:%fZ'))`;
const nowSeconds = sql`(CAST(strftime('%s') AS INTEGER))`;

/**
 * Plain queue messages (Piri's goqite table): one row per message not yet deleted; `timeout` is when it is next
 * receivable, `received` counts its deliveries. Use QueueStore rather than writing it directly.
 */
export const jobqueue = sqliteTable(
  'jobqueue',
  {
    id: text('id').primaryKey().default(sql`('m_' || lower(hex(randomblob(16))))`),
    created: queueTime('created').notNull().default(nowText),
    updated: queueTime('updated').notNull().default(nowText),
    queue: text('queue').notNull(),
    body: blob('body', { mode: 'buffer' }).notNull(),
    timeout: queueTime('timeout').notNull().default(nowText),
    received: integer('received').notNull().default(0),
  },
  (t) => [index('jobqueue_queue_created_idx').on(t.queue, t.created, t.id)],
);

/** Dead-lettered plain queue messages, with the job name, reason and error they were moved with. */
export const jobqueueDead = sqliteTable(
  'jobqueue_dead',
  {
    id: text('id').primaryKey(),
    created: queueTime('created').notNull(),
    updated: queueTime('updated').notNull(),
    queue: text('queue').notNull(),
    body: blob('body', { mode: 'buffer' }).notNull(),
    timeout: queueTime('timeout').notNull(),
    received: integer('received').notNull(),
    jobName: text('job_name').notNull(),
    failureReason: text('failure_reason').notNull(),
    errorMessage: text('error_message').notNull(),
    movedAt: queueTime('moved_at').notNull().default(nowText),
  },
  (t) => [index('jobqueue_dead_queue_moved_at_idx').on(t.queue, t.movedAt)],
);

/** The dedup queues by name, with whether deduplication is on; informational, upserted by the queue on first use. */
export const queues = sqliteTable('queues', {
  queue: text('queue').primaryKey(),
  dedupeEnabled: integer('dedupe_enabled').notNull().default(0),
});

/** The dedup queue's namespaces, one per (queue, job name); jobs, jobDone and jobDead refer to them. */
export const jobNs = sqliteTable(
  'job_ns',
  {
    id: integer('id').primaryKey(),
    queue: text('queue').notNull(),
    name: text('name').notNull(),
  },
  (t) => [uniqueIndex('job_ns_queue_name_unique').on(t.queue, t.name)],
);

// AUTOINCREMENT on purpose: Piri's rowid ids restart after the table drains, and a reused id collides in
// job_dead (docs/differences-from-piri.md).
/**
 * Live dedup queue jobs, one per (namespace, payload key), with when they become available (avail_s, epoch seconds) and
 * their attempts so far.
 */
export const jobs = sqliteTable(
  'jobs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    nsId: integer('ns_id').notNull(),
    key: blob('key', { mode: 'buffer' }).notNull(),
    body: blob('body', { mode: 'buffer' }).notNull(),
    createdS: integer('created_s').notNull().default(nowSeconds),
    availS: integer('avail_s').notNull(),
    attempts: integer('attempts').notNull().default(0),
  },
  (t) => [
    foreignKey({ columns: [t.nsId], foreignColumns: [jobNs.id] }),
    uniqueIndex('jobs_unique_live').on(t.nsId, t.key),
    index('jobs_claim_idx').on(t.nsId, t.availS, t.id),
  ],
);

/** Payload keys of dedup jobs that finished or were dead-lettered (status), which block repeats of the same payload. */
export const jobDone = sqliteTable(
  'job_done',
  {
    nsId: integer('ns_id').notNull(),
    key: blob('key', { mode: 'buffer' }).notNull(),
    status: integer('status').notNull(),
    doneS: integer('done_s').notNull().default(nowSeconds),
  },
  (t) => [primaryKey({ columns: [t.nsId, t.key] })],
);

/** Dead-lettered dedup jobs, with their body, attempts, reason and error. */
export const jobDead = sqliteTable(
  'job_dead',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    nsId: integer('ns_id').notNull(),
    key: blob('key', { mode: 'buffer' }).notNull(),
    body: blob('body', { mode: 'buffer' }).notNull(),
    attempts: integer('attempts').notNull(),
    reason: text('reason').notNull(),
    error: text('error').notNull(),
    movedS: integer('moved_s').notNull().default(nowSeconds),
  },
  (t) => [foreignKey({ columns: [t.nsId], foreignColumns: [jobNs.id] })],
);
