import { pgSchema } from 'drizzle-orm/pg-core';
import { plainQueueTables } from './jobqueue.ts';

export const egressTrackerSchema = pgSchema('egress_tracker');
export const { jobqueue, jobqueueDead } = plainQueueTables(egressTrackerSchema);
