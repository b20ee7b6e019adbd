import { pgSchema } from 'drizzle-orm/pg-core';
import { plainQueueTables } from './jobqueue.ts';

/** The PostgreSQL schema `egress_tracker`, which holds the egress tracker store's tables. */
export const egressTrackerSchema = pgSchema('egress_tracker');
// Named exports rather than destructuring: a destructured binding cannot carry its own doc comment.
const plain = plainQueueTables(egressTrackerSchema);

/**
 * Plain queue messages (Piri's goqite table): one row per message not yet deleted; `timeout` is when it is next
 * receivable, `received` counts its deliveries. Use QueueStore rather than writing it directly.
 */
export const jobqueue = plain.jobqueue;
/** Dead-lettered plain queue messages, with the job name, reason and error they were moved with. */
export const jobqueueDead = plain.jobqueueDead;
