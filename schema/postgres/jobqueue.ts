/**
 * Piri's queue tables for one store's schema (the Postgres twin of schema/sqlite/jobqueue.ts). A factory,
 * because each store owns its tables inside its own schema. The updated-timestamp trigger lives in each
 * store's custom migration.
 */
import { sql } from 'drizzle-orm';
import { foreignKey, index, integer, type PgSchema, primaryKey, serial, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { bytea, int64, timestamptz } from './columns.ts';

const nowSeconds = sql`(EXTRACT(EPOCH FROM NOW())::BIGINT)`;

export function plainQueueTables(schema: PgSchema) {
  const jobqueue = schema.table(
    'jobqueue',
    {
      id: text('id').primaryKey().default(sql`('m_' || replace(gen_random_uuid()::text, '-', ''))`),
      created: timestamptz('created').notNull().defaultNow(),
      updated: timestamptz('updated').notNull().defaultNow(),
      queue: text('queue').notNull(),
      body: bytea('body').notNull(),
      timeout: timestamptz('timeout').notNull().defaultNow(),
      received: integer('received').notNull().default(0),
    },
    (t) => [index('jobqueue_queue_created_idx').on(t.queue, t.created, t.id)],
  );

  const jobqueueDead = schema.table(
    'jobqueue_dead',
    {
      id: text('id').primaryKey(),
      created: timestamptz('created').notNull(),
      updated: timestamptz('updated').notNull(),
      queue: text('queue').notNull(),
      body: bytea('body').notNull(),
      timeout: timestamptz('timeout').notNull(),
      received: integer('received').notNull(),
      jobName: text('job_name').notNull(),
      failureReason: text('failure_reason').notNull(),
      errorMessage: text('error_message').notNull(),
      movedAt: timestamptz('moved_at').notNull().defaultNow(),
    },
    (t) => [index('jobqueue_dead_queue_moved_at_idx').on(t.queue, t.movedAt)],
  );

  return { jobqueue, jobqueueDead };
}

export function dedupQueueTables(schema: PgSchema) {
  const queues = schema.table('queues', {
    queue: text('queue').primaryKey(),
    dedupeEnabled: integer('dedupe_enabled').notNull().default(0),
  });

  const jobNs = schema.table(
    'job_ns',
    {
      id: serial('id').primaryKey(),
      queue: text('queue').notNull(),
      name: text('name').notNull(),
    },
    (t) => [uniqueIndex('job_ns_queue_name_unique').on(t.queue, t.name)],
  );

  const jobs = schema.table(
    'jobs',
    {
      id: serial('id').primaryKey(),
      nsId: integer('ns_id').notNull(),
      key: bytea('key').notNull(),
      body: bytea('body').notNull(),
      createdS: int64('created_s').notNull().default(nowSeconds),
      availS: int64('avail_s').notNull(),
      attempts: integer('attempts').notNull().default(0),
    },
    (t) => [
      foreignKey({ columns: [t.nsId], foreignColumns: [jobNs.id] }),
      uniqueIndex('jobs_unique_live').on(t.nsId, t.key),
      index('jobs_claim_idx').on(t.nsId, t.availS, t.id),
    ],
  );

  const jobDone = schema.table(
    'job_done',
    {
      nsId: integer('ns_id').notNull(),
      key: bytea('key').notNull(),
      status: integer('status').notNull(),
      doneS: int64('done_s').notNull().default(nowSeconds),
    },
    (t) => [primaryKey({ columns: [t.nsId, t.key] })],
  );

  const jobDead = schema.table(
    'job_dead',
    {
      id: serial('id').primaryKey(),
      nsId: integer('ns_id').notNull(),
      key: bytea('key').notNull(),
      body: bytea('body').notNull(),
      attempts: integer('attempts').notNull(),
      reason: text('reason').notNull(),
      error: text('error').notNull(),
      movedS: int64('moved_s').notNull().default(nowSeconds),
    },
    (t) => [foreignKey({ columns: [t.nsId], foreignColumns: [jobNs.id] })],
  );

  return { queues, jobNs, jobs, jobDone, jobDead };
}
