/**
 * What an installation holds, read without changing anything: safe beside a running instance (SQLite files
 * are opened read-only, nothing is created, no lock is taken) and on a database nobody has set up yet.
 */
import type { Sql } from 'postgres';
import { planSqlite, SQLITE_JOURNAL } from '../backend/sqlite/migrate.ts';
import { openSqliteFileReadOnly, sqliteStoreFile } from '../backend/sqlite/file.ts';
import { columnValues, onlyValue } from '../backend/sqlite/rows.ts';
import { shippedMigrations, type MigrationPlan } from '../backend/migrations.ts';
import type { Config } from '../config/load.ts';
import { redactUrl } from '../config/redact.ts';
import { piriTables } from '../catalog/piri-schema.ts';
import { PiriDbError } from '../errors.ts';
import { assertBackend, type InstallationRecord, recordedBackend } from './guard.ts';
import { type Dialect, type StoreName, STORES } from '../catalog/registry.ts';

/** A table of a store and its row count. */
export interface TableStatus {
  readonly name: string;
  readonly rows: number;
}

/** One store as installationStatus found it: where it lives, its applied and pending migrations, its tables. */
export interface StoreStatus {
  readonly store: StoreName;
  /** The SQLite file, or the Postgres schema. */
  readonly location: string;
  readonly exists: boolean;
  readonly appliedMigrations: readonly string[];
  readonly pendingMigrations: readonly string[];
  readonly tables: readonly TableStatus[];
  /**
   * Every table Piri creates in this store, and no migration journal: set up by Piri, not by piri-db. `piri-db adopt`
   * takes it over; `migrate` would try to create the tables again.
   */
  readonly piri: boolean;
}

/**
 * What installationStatus reports: the backend, where the installation lives (the Postgres URL redacted), the recorded
 * backend, and each store.
 */
export interface InstallationStatus {
  readonly backend: Dialect;
  readonly dataDir: string;
  /** Redacted. */
  readonly postgresUrl?: string;
  readonly recorded?: InstallationRecord;
  readonly stores: readonly StoreStatus[];
  /** Some store was set up by Piri (StoreStatus.piri): run `piri-db adopt`, not `piri-db migrate`. */
  readonly piriInstallation: boolean;
}

/**
 * Reads what an installation holds without changing anything, so it is safe beside a running instance and on a database
 * nobody has set up. Throws BackendMismatchError when the data dir belongs to the other backend.
 */
export async function installationStatus(config: Config): Promise<InstallationStatus> {
  assertBackend(config.dataDir, config.database.type);
  const base = { dataDir: config.dataDir, recorded: recordedBackend(config.dataDir) };
  if (config.database.type === 'sqlite') return withPiri({ ...base, backend: 'sqlite', stores: sqliteStatus(config.dataDir) });
  const pg = config.database.postgres;
  // Loaded only here: status of a SQLite installation (`piri-db status`) starts without postgres-js.
  const [{ openPostgresPool }, { connectionFailed }] = await Promise.all([
    import('../backend/postgres/open.ts'),
    import('../backend/postgres/errors.ts'),
  ]);
  const pool = openPostgresPool({ ...pg, maxOpenConns: 1 });
  try {
    return withPiri({ ...base, backend: 'postgres', postgresUrl: redactUrl(pg.url), stores: await postgresStatus(pool) });
  } catch (error) {
    throw error instanceof PiriDbError ? error : connectionFailed(pg, error);
  } finally {
    await pool.end({ timeout: 5 });
  }
}

function withPiri(status: Omit<InstallationStatus, 'piriInstallation'>): InstallationStatus {
  return { ...status, piriInstallation: status.stores.some((s) => s.piri) };
}

function sqliteStatus(dataDir: string): StoreStatus[] {
  return STORES.map((store) => {
    const location = sqliteStoreFile(dataDir, store);
    const conn = openSqliteFileReadOnly(dataDir, store);
    if (!conn) return notCreated(store.name, location, shippedMigrations('sqlite', store).map((m) => m.tag));
    try {
      const names = columnValues<string>(
        conn.client.prepare(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '${SQLITE_JOURNAL}' ORDER BY name`,
        ),
      );
      const tables = names.map((name) => ({
        name,
        rows: onlyValue<number>(conn.client.prepare(`SELECT count(*) FROM "${name}"`)),
      }));
      return describe(store.name, location, planSqlite(conn), tables);
    } finally {
      conn.client.close();
    }
  });
}

async function postgresStatus(sql: Sql): Promise<StoreStatus[]> {
  const { planPostgres } = await import('../backend/postgres/migrate.ts');
  const result: StoreStatus[] = [];
  for (const store of STORES) {
    const plan = await planPostgres(sql, store);
    const names = (
      await sql<{ table_name: string }[]>`
        SELECT table_name FROM information_schema.tables
        WHERE table_schema = ${store.pgSchema} AND table_type = 'BASE TABLE' ORDER BY table_name`
    ).map((r) => r.table_name);
    const tables: TableStatus[] = [];
    for (const name of names) {
      const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${store.pgSchema}"."${name}"`);
      tables.push({ name, rows: Number(row?.n ?? 0) });
    }
    const location = `schema ${store.pgSchema}`;
    result.push(names.length === 0 && plan.applied.length === 0 ? notCreated(store.name, location, plan.pending.map((m) => m.tag)) : describe(store.name, location, plan, tables));
  }
  return result;
}

function describe(store: StoreName, location: string, plan: MigrationPlan, tables: TableStatus[]): StoreStatus {
  return {
    store,
    location,
    exists: true,
    appliedMigrations: plan.applied.map((m) => m.tag),
    pendingMigrations: plan.pending.map((m) => m.tag),
    tables,
    piri: plan.applied.length === 0 && piriTables(store).every((name) => tables.some((t) => t.name === name)),
  };
}

function notCreated(store: StoreName, location: string, pending: string[]): StoreStatus {
  return { store, location, exists: false, appliedMigrations: [], pendingMigrations: pending, tables: [], piri: false };
}
