/**
 * Compile-time check (`pnpm typecheck`) that each store's SQLite and Postgres tables give the same TypeScript row
 * types, so code above the backends never asks which dialect it runs on. Nothing here runs.
 *
 * Per store: one line that the two schema files export the same table names, then one line per table that its
 * select and insert row types agree. A failure names the table and says which of the two differs; fix the schema,
 * not this file.
 */
import type { InferInsertModel, InferSelectModel, Table } from 'drizzle-orm';
import type * as pgAggregator from './postgres/aggregator.ts';
import type * as pgEgressTracker from './postgres/egress_tracker.ts';
import type * as pgReplicator from './postgres/replicator.ts';
import type * as pgScheduler from './postgres/scheduler.ts';
import type * as sqliteAggregator from './sqlite/aggregator.ts';
import type * as sqliteEgressTracker from './sqlite/egress_tracker.ts';
import type * as sqliteReplicator from './sqlite/replicator.ts';
import type * as sqliteScheduler from './sqlite/scheduler.ts';

/** Exact type equality (not mutual assignability: `any`, optional and readonly properties all count). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

/** `true` when the SQLite table S and the Postgres table P have equal select and insert row types. */
type RowsAgree<S extends Table, P extends Table> =
  Equal<InferSelectModel<S>, InferSelectModel<P>> extends false
    ? 'select row types differ'
    : Equal<InferInsertModel<S>, InferInsertModel<P>> extends false
      ? 'insert row types differ'
      : true;

/** `true` when two schema modules export tables under the same names (other exports, e.g. a pgSchema, are ignored). */
type SameTables<S, P> = Equal<TableNames<S>, TableNames<P>>;
type TableNames<M> = { [K in keyof M]: M[K] extends Table ? K : never }[keyof M];

// scheduler
export type SchedulerChecks = [
  Expect<SameTables<typeof sqliteScheduler, typeof pgScheduler>>,
  Expect<RowsAgree<typeof sqliteScheduler.task, typeof pgScheduler.task>>,
  Expect<RowsAgree<typeof sqliteScheduler.taskHistory, typeof pgScheduler.taskHistory>>,
  Expect<RowsAgree<typeof sqliteScheduler.parkedPieces, typeof pgScheduler.parkedPieces>>,
  Expect<RowsAgree<typeof sqliteScheduler.parkedPieceRefs, typeof pgScheduler.parkedPieceRefs>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpPieceUploads, typeof pgScheduler.pdpPieceUploads>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpPiecerefs, typeof pgScheduler.pdpPiecerefs>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpPieceMhToCommp, typeof pgScheduler.pdpPieceMhToCommp>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProofSets, typeof pgScheduler.pdpProofSets>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProveTasks, typeof pgScheduler.pdpProveTasks>>,
  Expect<RowsAgree<typeof sqliteScheduler.messageWaitsEth, typeof pgScheduler.messageWaitsEth>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProofsetCreates, typeof pgScheduler.pdpProofsetCreates>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProofsetRoots, typeof pgScheduler.pdpProofsetRoots>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProofsetRootAdds, typeof pgScheduler.pdpProofsetRootAdds>>,
  Expect<RowsAgree<typeof sqliteScheduler.pdpProviderRegistrations, typeof pgScheduler.pdpProviderRegistrations>>,
  Expect<RowsAgree<typeof sqliteScheduler.messageSendsEth, typeof pgScheduler.messageSendsEth>>,
  Expect<RowsAgree<typeof sqliteScheduler.messageSendEthLocks, typeof pgScheduler.messageSendEthLocks>>,
  Expect<RowsAgree<typeof sqliteScheduler.railSettlementWaits, typeof pgScheduler.railSettlementWaits>>,
  Expect<RowsAgree<typeof sqliteScheduler.withdrawalWaits, typeof pgScheduler.withdrawalWaits>>,
  Expect<RowsAgree<typeof sqliteScheduler.taskEngineSessions, typeof pgScheduler.taskEngineSessions>>,
];

// replicator
export type ReplicatorChecks = [
  Expect<SameTables<typeof sqliteReplicator, typeof pgReplicator>>,
  Expect<RowsAgree<typeof sqliteReplicator.jobqueue, typeof pgReplicator.jobqueue>>,
  Expect<RowsAgree<typeof sqliteReplicator.jobqueueDead, typeof pgReplicator.jobqueueDead>>,
];

// aggregator
export type AggregatorChecks = [
  Expect<SameTables<typeof sqliteAggregator, typeof pgAggregator>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobqueue, typeof pgAggregator.jobqueue>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobqueueDead, typeof pgAggregator.jobqueueDead>>,
  Expect<RowsAgree<typeof sqliteAggregator.queues, typeof pgAggregator.queues>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobNs, typeof pgAggregator.jobNs>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobs, typeof pgAggregator.jobs>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobDone, typeof pgAggregator.jobDone>>,
  Expect<RowsAgree<typeof sqliteAggregator.jobDead, typeof pgAggregator.jobDead>>,
];

// egress_tracker
export type EgressTrackerChecks = [
  Expect<SameTables<typeof sqliteEgressTracker, typeof pgEgressTracker>>,
  Expect<RowsAgree<typeof sqliteEgressTracker.jobqueue, typeof pgEgressTracker.jobqueue>>,
  Expect<RowsAgree<typeof sqliteEgressTracker.jobqueueDead, typeof pgEgressTracker.jobqueueDead>>,
];
