import { pgSchema } from 'drizzle-orm/pg-core';
import { dedupQueueTables, plainQueueTables } from './jobqueue.ts';

export const aggregatorSchema = pgSchema('aggregator');
export const { jobqueue, jobqueueDead } = plainQueueTables(aggregatorSchema);
export const { queues, jobNs, jobs, jobDone, jobDead } = dedupQueueTables(aggregatorSchema);
