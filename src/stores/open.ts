/**
 * openDatabases: guard -> open -> migrate -> ready. Nothing is created before the backend guard has passed;
 * the installation's backend is recorded only once every store is migrated.
 */
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { DEFAULT_MIGRATION_LOCK_WAIT_MS, MAX_MIGRATION_LOCK_WAIT_MS, migratePostgres } from '../backend/postgres/migrate.ts';
import { openPostgresPool, postgresDatabase, postgresStore } from '../backend/postgres/open.ts';
import type { PostgresSchemas } from '../backend/postgres/schemas.ts';
import { migrateSqlite, planSqlite } from '../backend/sqlite/migrate.ts';
import type { SqliteStoreFile } from '../backend/sqlite/file.ts';
import { openSqliteStoreFile, sqliteDatabase } from '../backend/sqlite/open.ts';
import type { SqliteSchemas } from '../backend/sqlite/schemas.ts';
import { acquireWriterLock } from '../backend/sqlite/writer-lock.ts';
import type { StoreConnection } from '../backend/types.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config, PostgresConfig } from '../config/load.ts';
import { connectionFailed } from '../backend/postgres/errors.ts';
import { ConfigError, MigrationError, PiriDbError } from '../errors.ts';
import { ReleaseStack } from '../lifecycle.ts';
import type { Services } from '../services.ts';
import type { JobQueueLogger } from '../logger.ts';
import { type StoreQueues, storeQueues } from '../queue/store-queues.ts';
import { installationSignals } from '../queue/wakeups/index.ts';
import { schedulerSql } from '../scheduler/sql/index.ts';
import type { SchedulerTx } from '../scheduler/sql/types.ts';
import { assertBackend, recordBackend } from './guard.ts';
import { installationStatus } from './status.ts';
import { type Dialect, type StoreDefinition, type StoreName, STORES } from '../catalog/registry.ts';

/**
 * A store, with the queues it holds (`queue`, `dedupQueue`; a QueueError on a store without the tables). `D` is the
 * backend: narrow `Databases` on `backend` to get the store's drizzle instance for that dialect.
 */
export interface Store<K extends StoreName = StoreName, D extends Dialect = Dialect> extends StoreQueues {
  readonly name: K;
  readonly definition: StoreDefinition;
  /** The typed drizzle instance for this store's tables, on the backend `D`. */
  readonly db: StoreDatabase<K, D>;
  /** The raw connection, for prepared hot paths and introspection. */
  readonly connection: StoreConnection;
  /**
   * The clock and logger openDatabases was given. A TaskEngine, pdpFlows, pruneScheduler or createJobQueue made from
   * this store (or one of its queues) uses them unless its own options name others.
   */
  readonly services: Services;
}

/**
 * The scheduler store: a Store, and transactions in turn with the task engine's. On SQLite the store has one
 * connection and the engine's transactions stay open across awaits, so a statement issued on `db` while one is open is
 * refused (TRANSACTION_OPEN: it would run inside it); run such statements here, on `tx.db`.
 */
export interface SchedulerStore<D extends Dialect = Dialect> extends Store<'scheduler', D> {
  /**
   * Runs `fn` in one scheduler transaction: committed when it resolves, rolled back when it rejects. `tx.db` is the
   * typed drizzle instance bound to it (do not open a transaction of its own on it); the rest of `tx` is the operations
   * an AddTaskExtra gets.
   */
  transaction<T>(fn: (tx: SchedulerTx<D>) => Promise<T>): Promise<T>;
}

/** The drizzle instance of store `K` on backend `D` (a union of both when `D` is not narrowed). */
export type StoreDatabase<K extends StoreName, D extends Dialect> = D extends 'sqlite'
  ? BetterSQLite3Database<SqliteSchemas[K]>
  : PostgresJsDatabase<PostgresSchemas[K]>;

/** An open installation on backend `D`; `Databases` is the union over both backends. */
export interface DatabasesOn<D extends Dialect> {
  /** Which backend the installation runs on; narrowing on it types every store's `db`. */
  readonly backend: D;
  /** The configuration it was opened with. */
  readonly config: Config;
  /** The task engine and PDP state. */
  readonly scheduler: SchedulerStore<D>;
  /** The replication job queue. */
  readonly replicator: Store<'replicator', D>;
  /** The aggregation queues (plain and dedup). */
  readonly aggregator: Store<'aggregator', D>;
  /** The egress tracking job queue. */
  readonly egressTracker: Store<'egress_tracker', D>;
  /** The four stores in registry order. */
  readonly stores: readonly Store[];
  /** Stops the queues' wake-ups and closes every connection. */
  close(): Promise<void>;
}

/**
 * What `openDatabases` returns: discriminated by `backend`, so after `if (dbs.backend === 'sqlite')` each store's
 * `db` is a `BetterSQLite3Database` of its schema, and otherwise a `PostgresJsDatabase`.
 */
export type Databases = DatabasesOn<'sqlite'> | DatabasesOn<'postgres'>;

/**
 * Optional settings of openDatabases that are not configuration: the shared services (clock, logger) and how long to
 * wait for another process's migrations.
 */
export interface OpenOptions {
  /**
   * Where "now" comes from for everything made from the installation: queue operations, and by default the task
   * engine, the PDP flows and pruneScheduler. Default the system clock. Tests pass a ManualClock.
   */
  readonly clock?: Clock;
  /**
   * Where the worker runtime (createJobQueue) and the task engine report what they cannot return to a caller, unless
   * their own options name another logger. Default: each writes one line per event to stderr.
   */
  readonly logger?: JobQueueLogger;
  /**
   * PostgreSQL: how long to wait for another process's migrations (the migration lock) before failing with a
   * MigrationError. Default 10 minutes; an integer number of ms from 1 to 2^31 - 1.
   */
  readonly migrationLockWaitMs?: number;
}

/** Opens an installation: checks the recorded backend, opens every store, migrates it, then records the backend. */
export async function openDatabases(config: Config, options: OpenOptions = {}): Promise<Databases> {
  const lockWaitMs = migrationLockWaitMs(options);
  const services = openServices(options);
  const backend = config.database.type;
  assertBackend(config.dataDir, backend);
  const resources = new ReleaseStack();
  try {
    const opened: Opened =
      config.database.type === 'postgres'
        ? { dialect: 'postgres', pool: await openPostgres(config.database.postgres, resources, lockWaitMs) }
        : { dialect: 'sqlite', files: openSqlite(config.dataDir, resources) };
    recordBackend(config.dataDir, backend);
    return assemble(config, opened, resources, services);
  } catch (error) {
    await resources.release().catch(() => {});
    throw await explainPiriInstallation(config, error);
  }
}

/**
 * A first migration that fails because its tables exist may be a Piri installation piri-db has not adopted (status.ts
 * recognises one by Piri's tables): then
 * the error says so, and what to run. Looked into only after a failure, so a boot pays nothing for it.
 */
async function explainPiriInstallation(config: Config, error: unknown): Promise<unknown> {
  if (!(error instanceof MigrationError) || error.code !== 'MIGRATION_FAILED') return error;
  const status = await installationStatus(config).catch(() => undefined);
  if (!status?.piriInstallation) return error;
  return new MigrationError(
    'MIGRATION_FAILED',
    `${config.database.type === 'sqlite' ? `data dir ${config.dataDir}` : 'the database'} holds a Piri installation piri-db has not ` +
      "adopted (Piri's tables, no piri-db migration journal): run `piri-db adopt` to take it over; the failed migration was rolled back",
    { cause: error },
  );
}

/** The installation's stores, opened and migrated, before their drizzle instances: a file each, or the one pool. */
type Opened =
  | { readonly dialect: 'sqlite'; readonly files: readonly SqliteStoreFile[] }
  | { readonly dialect: 'postgres'; readonly pool: Sql };

function openSqlite(dataDir: string, resources: ReleaseStack): SqliteStoreFile[] {
  const lock = acquireWriterLock(dataDir);
  resources.push(() => lock.release());
  const files = STORES.map((store) => {
    const conn = openSqliteStoreFile(dataDir, store);
    resources.push(() => conn.client.close());
    return conn;
  });
  // Every plan first: a file written by a newer build is refused before any store is migrated.
  const plans = files.map((conn) => planSqlite(conn));
  files.forEach((conn, i) => migrateSqlite(conn, plans[i]!));
  return files;
}

function migrationLockWaitMs({ migrationLockWaitMs: ms = DEFAULT_MIGRATION_LOCK_WAIT_MS }: OpenOptions): number {
  if (Number.isInteger(ms) && ms >= 1 && ms <= MAX_MIGRATION_LOCK_WAIT_MS) return ms;
  throw new ConfigError(
    'migrationLockWaitMs',
    `${String(ms)} from option migrationLockWaitMs: not an integer from 1 to ${MAX_MIGRATION_LOCK_WAIT_MS} (ms)`,
  );
}

function openServices({ clock = systemClock, logger }: OpenOptions): Services {
  if (logger !== undefined && (typeof logger?.warn !== 'function' || typeof logger.error !== 'function')) {
    throw new ConfigError('logger', 'option logger must have warn(message, fields) and error(message, fields) functions');
  }
  return logger === undefined ? { clock } : { clock, logger };
}

async function openPostgres(config: PostgresConfig, resources: ReleaseStack, lockWaitMs: number): Promise<Sql> {
  const pool = openPostgresPool(config);
  resources.push(() => pool.end({ timeout: 5 }));
  try {
    await migratePostgres(pool, STORES, lockWaitMs);
  } catch (error) {
    if (error instanceof PiriDbError) throw error;
    throw connectionFailed(config, error);
  }
  return pool;
}

/** A store's connection and its drizzle instance, typed by the store's schema on backend `D`. */
interface Connected<K extends StoreName, D extends Dialect> {
  readonly name: K;
  readonly db: StoreDatabase<K, D>;
  readonly connection: StoreConnection;
}

/** Each store's drizzle instance is made here, where its name, and so its schema's type, is known. */
function assemble(config: Config, opened: Opened, resources: ReleaseStack, services: Services): Databases {
  if (opened.dialect === 'sqlite') {
    const connect = <K extends StoreName>(name: K): Connected<K, 'sqlite'> => {
      const file = opened.files.find((f) => f.store.name === name);
      if (file === undefined) throw new Error(`store ${name} was not opened`);
      const db = sqliteDatabase(file.client, name);
      return { name, db, connection: { ...file, db } };
    };
    const stores = [connect('scheduler'), connect('replicator'), connect('aggregator'), connect('egress_tracker')] as const;
    return databasesOn('sqlite', stores, config, resources, services);
  }
  const { pool } = opened;
  const connect = <K extends StoreName>(name: K): Connected<K, 'postgres'> => {
    const store = STORES.find((s) => s.name === name);
    if (store === undefined) throw new Error(`store ${name} is not in the registry`);
    const db = postgresDatabase(pool, name);
    return { name, db, connection: postgresStore(pool, store, db) };
  };
  const stores = [connect('scheduler'), connect('replicator'), connect('aggregator'), connect('egress_tracker')] as const;
  return databasesOn('postgres', stores, config, resources, services);
}

/** The installation on backend `D`: its stores in registry order, with their queues, sharing one set of wake-ups. */
function databasesOn<D extends Dialect>(
  backend: D,
  connected: readonly [Connected<'scheduler', D>, Connected<'replicator', D>, Connected<'aggregator', D>, Connected<'egress_tracker', D>],
  config: Config,
  resources: ReleaseStack,
  services: Services,
): DatabasesOn<D> {
  const signals = installationSignals(config, connected[0].connection, services.clock);
  resources.push(() => signals.close());
  const store = <K extends StoreName>({ name, db, connection }: Connected<K, D>): Store<K, D> => ({
    name,
    definition: connection.store,
    db,
    connection,
    services,
    ...storeQueues(connection, services, signals),
  });
  const { connection } = connected[0];
  const scheduler: SchedulerStore<D> = {
    ...store(connected[0]),
    transaction: <T>(fn: (tx: SchedulerTx<D>) => Promise<T>) =>
      // cast: the SQL layer types tx.db for either backend; it runs on this store's connection, whose backend is D.
      schedulerSql(connection).transaction(fn as (tx: SchedulerTx) => Promise<T>),
  };
  const replicator = store(connected[1]);
  const aggregator = store(connected[2]);
  const egressTracker = store(connected[3]);
  return {
    backend,
    config,
    scheduler,
    replicator,
    aggregator,
    egressTracker,
    stores: [scheduler, replicator, aggregator, egressTracker],
    close: () => resources.release(),
  };
}
