import { pgSchema } from 'drizzle-orm/pg-core';
import { dedupQueueTables, plainQueueTables } from './jobqueue.ts';

/** The PostgreSQL schema `aggregator`, which holds the aggregator store's tables. */
export const aggregatorSchema = pgSchema('aggregator');
// Named exports rather than destructuring: a destructured binding cannot carry its own doc comment.
const plain = plainQueueTables(aggregatorSchema);
const dedup = dedupQueueTables(aggregatorSchema);

/**
 * Plain queue messages (Piri's goqite table): one row per message not yet deleted; `timeout` is when it is next
 * receivable, `received` counts its deliveries. Use QueueStore rather than writing it directly.
 */
export const jobqueue = plain.jobqueue;
/** Dead-lettered plain queue messages, with the job name, reason and error they were moved with. */
export const jobqueueDead = plain.jobqueueDead;
/** The dedup queues by name, with whether deduplication is on; informational, upserted by the queue on first use. */
export const queues = dedup.queues;
/** The dedup queue's namespaces, one per (queue, job name); jobs, jobDone and jobDead refer to them. */
export const jobNs = dedup.jobNs;
/**
 * Live dedup queue jobs, one per (namespace, payload key), with when they become available (avail_s, epoch seconds)
 * and their attempts so far.
 */
export const jobs = dedup.jobs;
/** Payload keys of dedup jobs that finished or were dead-lettered (status), which block repeats of the same payload. */
export const jobDone = dedup.jobDone;
/** Dead-lettered dedup jobs, with their body, attempts, reason and error. */
export const jobDead = dedup.jobDead;
