/**
 * The four logical databases as data. Everything that iterates over stores (openDatabases, migrate, status,
 * tests) reads this list, so adding a store is one entry here plus its schema files.
 */
export const STORE_NAMES = ['scheduler', 'replicator', 'aggregator', 'egress_tracker'] as const;
export type StoreName = (typeof STORE_NAMES)[number];

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
  readonly plainQueues: readonly string[];
  readonly dedupQueues: readonly string[];
}

const QUEUE_TRIGGERS = ['jobqueue_updated_timestamp'] as const;

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
    plainQueues: [],
    dedupQueues: [],
  },
  {
    name: 'replicator',
    apiName: 'replicator',
    sqlitePath: 'replicator/replicator.db',
    pgSchema: 'replicator',
    triggers: QUEUE_TRIGGERS,
    plainQueues: ['replication'],
    dedupQueues: [],
  },
  {
    name: 'aggregator',
    apiName: 'aggregator',
    sqlitePath: 'aggregator/jobqueue/jobqueue.db',
    pgSchema: 'aggregator',
    triggers: QUEUE_TRIGGERS,
    plainQueues: ['compute_commp', 'manager'],
    dedupQueues: ['aggregator'],
  },
  {
    name: 'egress_tracker',
    apiName: 'egressTracker',
    sqlitePath: 'egress_tracker/jobqueue/jobqueue.db',
    pgSchema: 'egress_tracker',
    triggers: QUEUE_TRIGGERS,
    plainQueues: ['egress-tracker'],
    dedupQueues: [],
  },
];

export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];
