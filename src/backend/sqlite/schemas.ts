import * as aggregator from '../../../schema/sqlite/aggregator.ts';
import * as egressTracker from '../../../schema/sqlite/egress_tracker.ts';
import * as replicator from '../../../schema/sqlite/replicator.ts';
import * as scheduler from '../../../schema/sqlite/scheduler.ts';
import type { StoreName } from '../../catalog/registry.ts';

export const sqliteSchemas = { scheduler, replicator, aggregator, egress_tracker: egressTracker } satisfies Record<
  StoreName,
  Record<string, unknown>
>;
export type SqliteSchemas = typeof sqliteSchemas;
