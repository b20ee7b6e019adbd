/**
 * The drizzle tables of every piri-db store on SQLite, the `piri-db/schema/sqlite` entry. The scheduler's tables
 * are exported by name (`task`, `taskHistory`, ...); the queue stores share table names (`jobqueue`, `jobs`, ...),
 * so each is a namespace: `replicator.jobqueue`, `aggregator.jobs`, `egressTracker.jobqueueDead`. Row types are
 * drizzle's own: `typeof task.$inferSelect`.
 */
export * from './scheduler.ts';
/** The replicator store's tables: its plain job queue. */
export * as replicator from './replicator.ts';
/** The aggregator store's tables: plain queues and the dedup queue. */
export * as aggregator from './aggregator.ts';
/** The egress tracker store's tables: its plain job queue. */
export * as egressTracker from './egress_tracker.ts';
