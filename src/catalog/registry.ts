/**
 * The four logical databases as data. Everything that iterates over stores (openDatabases, migrate, status,
 * tests) reads this list, so adding a store is one entry here plus its schema files.
 */
export const STORE_NAMES = ['scheduler', 'replicator', 'aggregator', 'egress_tracker'] as const;
/** The name of one of the four stores, as in STORE_NAMES. */
export type StoreName = (typeof STORE_NAMES)[number];

/** One store's layout: where it lives on each backend, the triggers it must have, the queues it holds. */
export interface StoreDefinition {
  readonly name: StoreName;
  /** Property name on the object returned by openDatabases. */
  readonly apiName: 'scheduler' | 'replicator' | 'aggregator' | 'egressTracker';
  /** File under data_dir on SQLite, as Piri lays it out. */
  readonly sqlitePath: string;
  /** Schema holding the store's tables on PostgreSQL. */
  readonly pgSchema: string;
  /** Triggers that must exist after migrating; a missing one fails the boot. */
  readonly triggers: readonly string[];
  readonly queues: readonly QueueDefinition[];
}

/** Piri's queues and the settings it runs them with (data-model §4.8); the worker runtime takes these as defaults. */
export interface QueueDefinition {
  readonly name: string;
  readonly kind: 'plain' | 'dedup';
  /** The job name(s) Piri registers on it. */
  readonly jobNames: readonly string[];
  /** Total deliveries allowed (Piri's MaxRetries), the last failing one dead-letters. */
  readonly maxDeliveries: number;
  /** The claim window a receive opens (Piri's MaxTimeout). */
  readonly visibilityTimeoutMs: number;
  /** Concurrent jobs per process; undefined means one per CPU, as Piri. */
  readonly maxWorkers?: number;
  /** Dedup queues: block keys already done forever; block keys that were dead-lettered. */
  readonly dedupe?: { readonly enabled: boolean; readonly blockRepeatsAfterDeadLetter: boolean };
}

const QUEUE_TRIGGERS = ['jobqueue_updated_timestamp'] as const;

/** The four stores' layouts, in STORE_NAMES order. */
export const STORES: readonly StoreDefinition[] = [
  {
    name: 'scheduler',
    apiName: 'scheduler',
    sqlitePath: 'pdp/state/state.db',
    pgSchema: 'scheduler',
    triggers: [
      'pdp_proofset_root_insert',
      'pdp_proofset_root_delete',
      'pdp_proofset_root_update',
      'pdp_proofset_create_message_status_change',
      'pdp_proofset_add_message_status_change',
    ],
    queues: [],
  },
  {
    name: 'replicator',
    apiName: 'replicator',
    sqlitePath: 'replicator/replicator.db',
    pgSchema: 'replicator',
    triggers: QUEUE_TRIGGERS,
    queues: [{ name: 'replication', kind: 'plain', jobNames: ['transfer-task'], maxDeliveries: 10, visibilityTimeoutMs: 5_000 }],
  },
  {
    name: 'aggregator',
    apiName: 'aggregator',
    sqlitePath: 'aggregator/jobqueue/jobqueue.db',
    pgSchema: 'aggregator',
    triggers: QUEUE_TRIGGERS,
    queues: [
      { name: 'compute_commp', kind: 'plain', jobNames: ['compute_commp'], maxDeliveries: 50, visibilityTimeoutMs: 5_000 },
      {
        name: 'aggregator',
        kind: 'dedup',
        jobNames: ['aggregate_piece'],
        maxDeliveries: 50,
        visibilityTimeoutMs: 30_000,
        dedupe: { enabled: true, blockRepeatsAfterDeadLetter: false },
      },
      { name: 'manager', kind: 'plain', jobNames: ['add_roots'], maxDeliveries: 50, visibilityTimeoutMs: 60_000, maxWorkers: 3 },
    ],
  },
  {
    name: 'egress_tracker',
    apiName: 'egressTracker',
    sqlitePath: 'egress_tracker/jobqueue/jobqueue.db',
    pgSchema: 'egress_tracker',
    triggers: QUEUE_TRIGGERS,
    queues: [
      { name: 'egress-tracker', kind: 'plain', jobNames: ['egress-track-task'], maxDeliveries: 10, visibilityTimeoutMs: 5_000 },
    ],
  },
];

export const DIALECTS = ['sqlite', 'postgres'] as const;
/** A backend piri-db runs on: `sqlite` or `postgres`. */
export type Dialect = (typeof DIALECTS)[number];
