/**
 * piri-db backup: a consistent backup of the four stores, taken while the application runs, into a new dir
 * with a manifest.json written last.
 *
 * SQLite: an online backup of each store file (sqlite/backup.ts), checked with integrity_check and
 * foreign_key_check; the manifest records each file's sha256, migrations, and per table row count and
 * content checksum. The four files are four moments (SQLite has no transaction across files; neither does
 * the application).
 *
 * Postgres: one REPEATABLE READ READ ONLY transaction for everything. With a pg_dump of the server's major
 * version, pg_dump reads that very snapshot (--snapshot) into a custom-format archive of the four schemas
 * and the migration journals. Otherwise (pg_dump older or newer than the server, or none) the built-in
 * logical dump writes each table as NDJSON (dump.ts). Counts and checksums come from the same snapshot.
 *
 * Tables the application added to a store are carried (the default) or skipped. SQLite: the file copies hold
 * them; skipped ones are dropped from the copies. Postgres: they never go into a pg_dump archive; carried ones
 * are dumped logically whatever the method, with the statements that recreate them in the manifest.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AppliedMigration, planMigrations } from '../backend/migrations.ts';
import { JOURNAL_SCHEMA } from '../backend/postgres/migrate.ts';
import { openSqliteStoreReadOnly } from '../backend/sqlite/open.ts';
import type { Config, PostgresConfig } from '../config/load.ts';
import { OperationError } from '../errors.ts';
import { assertBackend } from '../stores/guard.ts';
import { STORES } from '../catalog/registry.ts';
import { type AppTableSpec, type AppTablesMode, isAppTable, type TableSpec } from './catalog.ts';
import { digestRows, TableDigester } from './digest.ts';
import { writeTableDump } from './dump.ts';
import type { Snapshot } from './endpoints.ts';
import type { RawRow } from './values.ts';
import {
  type BackupManifest,
  type BackupMethod,
  describeJournal,
  fileEntry,
  type ManifestStore,
  type ManifestTable,
  newManifest,
  recordedAppTables,
  writeManifest,
} from './manifest.ts';
import { findPgTool, pgDump, type PgTool } from './postgres/pg-tools.ts';
import { serverMajor } from './postgres/pool.ts';
import { openPostgresSnapshot } from './postgres/snapshot.ts';
import type { ProgressListener } from './progress.ts';
import { backupSqliteStore, dropAppTables } from './sqlite/backup.ts';
import { openSqliteSnapshot } from './sqlite/snapshot.ts';
import { ownedSequences } from './postgres/app-table.ts';
import { qualified } from './postgres/sql.ts';
import { type AppTableName, type AppTableReport, appTablesToCarry, DEFAULT_BATCH_SIZE, sourceTables } from './transfer.ts';

/**
 * How backupInstallation takes the backup: the method on Postgres, the pg_dump binary, the batch size and a progress
 * listener.
 */
export interface BackupOptions {
  /** Postgres: pg_dump when its major version matches the server's, else logical ('auto', the default). */
  readonly method?: 'auto' | 'pg_dump' | 'logical';
  /** The pg_dump to use (default: `pg_dump` on PATH). */
  readonly pgDump?: string;
  readonly batchSize?: number;
  readonly onProgress?: ProgressListener;
  /**
   * Tables the application added to the stores: backed up with their rows (the default) or left out. See
   * docs/operations.md, "Tables of the application".
   */
  readonly appTables?: AppTablesMode;
}

/** Where backupInstallation wrote the backup, its manifest, and how the data was taken. */
export interface BackupReport {
  readonly dir: string;
  readonly manifest: BackupManifest;
  /** How the data was taken, and why that way ("pg_dump 15.18 does not match server 18: logical dump"). */
  readonly methodNote: string;
  /** Every table of the application found, carried (with the rows backed up) or skipped. */
  readonly appTables: readonly AppTableReport[];
}

export const PG_DUMP_FILE = 'postgres.dump';

/**
 * Writes a consistent online backup of the installation into `outDir`, which must be new or empty, with a manifest of
 * checksums. Throws OperationError when the directory is not empty or the source is not fully migrated.
 */
export async function backupInstallation(config: Config, outDir: string, options: BackupOptions = {}): Promise<BackupReport> {
  return writeBackup(config, outDir, options, 'journaled');
}

/**
 * What a backup accepts: an installation piri-db set up (every store has a journal), or, for adopt, one Piri set up,
 * whose stores have none yet. Its manifest then lists no migrations.
 */
type Journals = 'journaled' | 'unjournaled';

/** backupInstallation of an installation Piri set up: adopt's backup before it changes anything. */
export function backupPiriInstallation(config: Config, outDir: string, options: BackupOptions = {}): Promise<BackupReport> {
  return writeBackup(config, outDir, options, 'unjournaled');
}

async function writeBackup(config: Config, outDir: string, options: BackupOptions, journals: Journals): Promise<BackupReport> {
  assertBackend(config.dataDir, config.database.type);
  const dir = resolve(outDir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new OperationError('OPERATION_FAILED', `backup dir ${dir} is not empty: choose a new one`);
  }
  mkdirSync(dir, { recursive: true });
  const report =
    config.database.type === 'postgres'
      ? await backupPostgres(config.database.postgres, dir, options, journals)
      : await backupSqlite(config.dataDir, dir, options, journals);
  writeManifest(dir, report.manifest);
  return { ...report, appTables: recordedAppTables(report.manifest) };
}

type TakenBackup = Omit<BackupReport, 'appTables'>;

async function backupSqlite(dataDir: string, dir: string, options: BackupOptions, journals: Journals): Promise<TakenBackup> {
  const progress = options.onProgress ?? (() => {});
  const files = new Map(STORES.map((s) => [s.name, `${s.name}.db`]));
  const connections = STORES.map((store) => openSqliteStoreReadOnly(dataDir, store));
  try {
    const missing = STORES.filter((_, i) => !connections[i]).map((s) => s.name);
    if (missing.length > 0) {
      throw new OperationError('SOURCE_NOT_READY', `store(s) ${missing.join(', ')} are not set up in ${dataDir}: nothing to back up`);
    }
    for (const conn of connections) {
      progress({ kind: 'step', message: `backing up ${conn!.file}` });
      await backupSqliteStore(conn!, join(dir, files.get(conn!.store.name)!));
    }
  } finally {
    for (const conn of connections) conn?.client.close();
  }
  // The copies hold every table of the files; those of the application are dropped from them when skipped.
  const skipped =
    options.appTables === 'skip'
      ? STORES.flatMap((store) => dropAppTables(join(dir, files.get(store.name)!), store).map((name) => ({ store: store.name, name })))
      : [];
  // Counts and checksums from the backup files themselves: what a restore will be checked against.
  const snapshot = openSqliteSnapshot(new Map(STORES.map((s) => [s.name, join(dir, files.get(s.name)!)])), dir);
  let stores: ManifestStore[];
  try {
    const contents = await inventory(snapshot, 'carry', journals);
    stores = await describeStores(snapshot, { ...contents, found: [...contents.found, ...skipped] }, options, (table, rows) =>
      digestRows('sqlite', table, rows),
    );
  } finally {
    await snapshot.close();
  }
  for (const [i, store] of STORES.entries()) {
    stores[i] = { ...stores[i]!, database: await fileEntry(dir, files.get(store.name)!) };
  }
  const method: BackupMethod = 'sqlite-online-backup';
  return { dir, methodNote: 'SQLite online backup API', manifest: newManifest({ backend: 'sqlite', method, source: dataDir, stores }) };
}

async function backupPostgres(config: PostgresConfig, dir: string, options: BackupOptions, journals: Journals): Promise<TakenBackup> {
  const progress = options.onProgress ?? (() => {});
  const snapshot = await openPostgresSnapshot(config);
  try {
    const contents = await inventory(snapshot, options.appTables ?? 'carry', journals);
    const server = await serverMajor(snapshot.conn);
    const { method, tool, note } = await choosePostgresMethod(options, server);
    progress({ kind: 'step', message: note });
    let pgDumpEntry: BackupManifest['pgDump'];
    if (tool) {
      const schemas = [...STORES.map((s) => s.pgSchema), JOURNAL_SCHEMA];
      // The application's tables never go into the archive: carried ones are dumped logically, with their definitions.
      const excludeTables: string[] = [];
      for (const table of contents.found) {
        const store = STORES.find((s) => s.name === table.store)!;
        excludeTables.push(qualified(store.pgSchema, table.name), ...(await ownedSequences(snapshot.conn, store, table.name)).map((s) => s.name));
      }
      await pgDump(tool, config, await snapshot.exportSnapshot(), { schemas, excludeTables }, join(dir, PG_DUMP_FILE));
      pgDumpEntry = { ...(await fileEntry(dir, PG_DUMP_FILE)), pgDumpVersion: tool.version, serverVersion: server };
    }
    const stores = await describeStores(snapshot, contents, options, async (table, rows) => {
      const digester = new TableDigester('postgres', table);
      async function* tapped() {
        for await (const batch of rows) {
          digester.add(batch);
          yield batch;
        }
      }
      if (tool && !isAppTable(table)) {
        for await (const _ of tapped());
        return digester.digest();
      }
      const file = `${table.store}/${table.name}.ndjson`;
      await writeTableDump(dir, file, table, tapped());
      return { ...digester.digest(), data: await fileEntry(dir, file) };
    });
    const manifest = newManifest({
      backend: 'postgres',
      method,
      source: snapshot.location,
      ...(pgDumpEntry ? { pgDump: pgDumpEntry } : {}),
      stores,
    });
    await snapshot.close();
    return { dir, manifest, methodNote: note };
  } catch (error) {
    await snapshot.close().catch(() => {}); // never hides the error that got us here
    throw error;
  }
}

interface Inventory {
  readonly journals: readonly (readonly AppliedMigration[])[];
  readonly tables: readonly TableSpec[];
  /** Every table of the application found; those not in `appTables` are skipped. */
  readonly found: readonly AppTableName[];
  /** The application's tables the backup carries. */
  readonly appTables: readonly AppTableSpec[];
}

/** Each store's journal and tables; refuses a store that is not set up or was written by a newer build. */
async function inventory(snapshot: Snapshot, mode: AppTablesMode, expected: Journals): Promise<Inventory> {
  const journals: (readonly AppliedMigration[])[] = [];
  for (const store of STORES) {
    const journal = expected === 'unjournaled' ? [] : await snapshot.journal(store);
    if (journal === undefined || (journal.length === 0 && expected === 'journaled')) {
      throw new OperationError('SOURCE_NOT_READY', `store ${store.name} is not set up in ${snapshot.location}: nothing to back up`);
    }
    planMigrations(snapshot.dialect, store, journal);
    journals.push(journal);
  }
  const { tables, appTables: found } = await sourceTables(snapshot, STORES);
  const appTables = await appTablesToCarry(snapshot, found, mode, snapshot.dialect);
  return { journals, tables, found, appTables };
}

/**
 * Every table of the inventory: its rows go through `dumpTable` (which digests them, and writes them
 * somewhere if the method needs that), then its sequences are read.
 */
async function describeStores(
  snapshot: Snapshot,
  { journals, tables: own, found, appTables }: Inventory,
  options: BackupOptions,
  dumpTable: (table: TableSpec, rows: AsyncIterable<RawRow[]>) => Promise<Pick<ManifestTable, 'rows' | 'checksum' | 'data'>>,
): Promise<ManifestStore[]> {
  const progress = options.onProgress ?? (() => {});
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const tables = [...own, ...appTables];
  const totals = new Map<TableSpec, number>();
  for (const table of tables) totals.set(table, await snapshot.count(table));
  const overallTotal = [...totals.values()].reduce((a, b) => a + b, 0);
  let overallDone = 0;
  const described = new Map<TableSpec, ManifestTable>();
  for (const table of tables) {
    const total = totals.get(table)!;
    let done = 0;
    async function* counted(): AsyncIterable<RawRow[]> {
      for await (const rows of snapshot.rows(table, batchSize)) {
        yield rows;
        done += rows.length;
        overallDone += rows.length;
        progress({ kind: 'rows', store: table.store, table: table.name, done, total, overallDone, overallTotal });
      }
    }
    const dumped = await dumpTable(table, counted());
    const sequences = await snapshot.sequences(table);
    described.set(table, { name: table.name, ...dumped, columns: table.columns, primaryKey: table.primaryKey, parents: table.parents, sequences });
  }
  return STORES.map((store, i) => {
    const carried = appTables.filter((t) => t.store === store.name);
    return {
      store: store.name,
      migrations: describeJournal(snapshot.dialect, store, journals[i]!),
      tables: own.filter((t) => t.store === store.name).map((t) => described.get(t)!),
      appTables: carried.map((t) => ({ ...described.get(t)!, definition: t.definition })),
      skippedAppTables: found.filter((t) => t.store === store.name && !carried.some((c) => c.name === t.name)).map((t) => t.name),
    };
  });
}

async function choosePostgresMethod(
  options: BackupOptions,
  server: number,
): Promise<{ method: BackupMethod; tool?: PgTool; note: string }> {
  if (options.method === 'logical') return { method: 'logical', note: 'built-in logical dump (as asked)' };
  const path = options.pgDump ?? 'pg_dump';
  const tool = await findPgTool(path);
  if (tool && tool.major === server) {
    return { method: 'pg_dump', tool, note: `pg_dump ${tool.version} (server PostgreSQL ${server})` };
  }
  const reason = tool
    ? `pg_dump ${tool.version} does not match the server's major version ${server}`
    : `no pg_dump could be run (${path})`;
  if (options.method === 'pg_dump') throw new OperationError('OPERATION_FAILED', `cannot back up with pg_dump: ${reason}`);
  return { method: 'logical', note: `${reason}: built-in logical dump` };
}
