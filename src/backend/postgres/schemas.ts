import * as aggregator from '../../../schema/postgres/aggregator.ts';
import * as egressTracker from '../../../schema/postgres/egress_tracker.ts';
import * as replicator from '../../../schema/postgres/replicator.ts';
import * as scheduler from '../../../schema/postgres/scheduler.ts';
import type { StoreName } from '../../catalog/registry.ts';

export const postgresSchemas = { scheduler, replicator, aggregator, egress_tracker: egressTracker } satisfies Record<
  StoreName,
  Record<string, unknown>
>;
export type PostgresSchemas = typeof postgresSchemas;
