import { pgSchema } from 'drizzle-orm/pg-core';
import { plainQueueTables } from './jobqueue.ts';

export const replicatorSchema = pgSchema('replicator');
export const { jobqueue, jobqueueDead } = plainQueueTables(replicatorSchema);
