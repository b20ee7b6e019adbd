/**
 * manifest.json: what a backup holds and how to check it. Written last, so a backup without one is
 * incomplete and restore refuses it. Every file is listed with its sha256; every table with its row count,
 * content checksum (digest.ts), columns and sequence marks, as they were at backup time.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppliedMigration } from '../backend/migrations.ts';
import { shippedMigrations } from '../backend/migrations.ts';
import { errorMessage } from '../narrow.ts';
import { OperationError } from '../errors.ts';
import { PACKAGE_JSON } from '../package-root.ts';
import { type Dialect, type StoreName, STORES } from '../catalog/registry.ts';
import type { AppTableSpec, ColumnSpec, TableSpec } from './catalog.ts';
import type { SequenceMark } from './endpoints.ts';
import type { AppTableReport } from './transfer.ts';

export const MANIFEST_FILE = 'manifest.json';
const FORMAT = 'piri-db-backup';
const FORMAT_VERSION = 1;

/** How a backup's data was taken: SQLite's online backup, pg_dump, or piri-db's logical dump. */
export type BackupMethod = 'sqlite-online-backup' | 'pg_dump' | 'logical';

export interface FileEntry {
  /** Relative to the backup dir. */
  readonly file: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface ManifestMigration {
  readonly tag: string;
  readonly hash: string;
  readonly createdAt: number;
}

export interface ManifestTable {
  readonly name: string;
  readonly rows: number;
  readonly checksum: string;
  readonly columns: readonly ColumnSpec[];
  readonly primaryKey: readonly string[];
  readonly parents: readonly string[];
  readonly sequences: readonly SequenceMark[];
  /** Logical dumps: the table's rows, one JSON array per line. */
  readonly data?: FileEntry;
}

/** An application's table the backup carries: as a table of piri-db's, with the statements that recreate it. */
export interface ManifestAppTable extends ManifestTable {
  readonly definition: readonly string[];
}

export interface ManifestStore {
  readonly store: StoreName;
  readonly migrations: readonly ManifestMigration[];
  /** SQLite: the store's backup file. */
  readonly database?: FileEntry;
  /** In load order. */
  readonly tables: readonly ManifestTable[];
  /**
   * Tables the application added to the store that the backup carries, in load order (absent in backups made
   * before piri-db carried them). Postgres: always as logical dumps, pg_dump archives leave them out.
   */
  readonly appTables?: readonly ManifestAppTable[];
  /** Tables the application added to the store that the backup left out (`appTables: 'skip'`). */
  readonly skippedAppTables?: readonly string[];
}

/**
 * The manifest.json of a backup: its format, source, method, each store's migrations and tables with checksums, and
 * every file's sha256.
 */
export interface BackupManifest {
  readonly format: typeof FORMAT;
  readonly formatVersion: typeof FORMAT_VERSION;
  readonly piriDbVersion: string;
  readonly createdAt: string;
  readonly backend: Dialect;
  readonly method: BackupMethod;
  /** Where it was taken from (a data dir, or a redacted URL). */
  readonly source: string;
  /** pg_dump backups: the archive, and the versions that made it. */
  readonly pgDump?: FileEntry & { readonly pgDumpVersion: string; readonly serverVersion: number };
  readonly stores: readonly ManifestStore[];
}

export function newManifest(fields: Omit<BackupManifest, 'format' | 'formatVersion' | 'piriDbVersion' | 'createdAt'>): BackupManifest {
  return { format: FORMAT, formatVersion: FORMAT_VERSION, piriDbVersion: PIRI_DB_VERSION, createdAt: new Date().toISOString(), ...fields };
}

export const PIRI_DB_VERSION = PACKAGE_JSON.version;

export function writeManifest(dir: string, manifest: BackupManifest): string {
  const file = join(dir, MANIFEST_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** Reads and checks a backup's manifest and that every file it lists is there with its recorded sha256. */
export async function readBackup(dir: string): Promise<BackupManifest> {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) {
    throw new OperationError('BACKUP_INVALID', `${dir} is not a complete piri-db backup: ${MANIFEST_FILE} is missing (an interrupted backup writes none)`);
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (error) {
    throw new OperationError('BACKUP_INVALID', `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  if (manifest.format !== FORMAT || manifest.formatVersion !== FORMAT_VERSION) {
    throw new OperationError('BACKUP_INVALID', `${file} is not a piri-db backup manifest of format ${FORMAT_VERSION}`);
  }
  const stores = new Set(manifest.stores.map((s) => s.store));
  const missingStores = STORES.filter((s) => !stores.has(s.name)).map((s) => s.name);
  if (missingStores.length > 0) throw new OperationError('BACKUP_INVALID', `${file} lists no store ${missingStores.join(', ')}`);
  for (const entry of filesOf(manifest)) {
    const path = join(dir, entry.file);
    if (!existsSync(path)) throw new OperationError('BACKUP_INVALID', `backup file ${path} is missing`);
    const sha256 = await sha256File(path);
    if (sha256 !== entry.sha256) {
      throw new OperationError('BACKUP_INVALID', `backup file ${path} does not match its manifest (sha256 ${sha256}, recorded ${entry.sha256})`);
    }
  }
  return manifest;
}

export function filesOf(manifest: BackupManifest): FileEntry[] {
  return [
    ...(manifest.pgDump ? [manifest.pgDump] : []),
    ...manifest.stores.flatMap((s) => [...(s.database ? [s.database] : []), ...allTables(s).flatMap((t) => (t.data ? [t.data] : []))]),
  ];
}

export async function fileEntry(dir: string, file: string): Promise<FileEntry> {
  const path = join(dir, file);
  return { file, sha256: await sha256File(path), bytes: statSync(path).size };
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A journal with each migration's tag, for people reading the manifest. */
export function describeJournal(dialect: Dialect, store: (typeof STORES)[number], journal: readonly AppliedMigration[]): ManifestMigration[] {
  const shipped = shippedMigrations(dialect, store);
  return journal.map((m) => ({ tag: shipped.find((s) => s.createdAt === m.createdAt)?.tag ?? 'unknown', hash: m.hash, createdAt: m.createdAt }));
}

export function tableSpec(store: StoreName, table: ManifestTable): TableSpec {
  return { store, name: table.name, columns: table.columns, primaryKey: table.primaryKey, parents: table.parents };
}

/** An application's table of the backup, as it is recreated and loaded. */
export function appTableSpec(store: StoreName, table: ManifestAppTable): AppTableSpec {
  return { ...tableSpec(store, table), definition: table.definition };
}

/** The application's tables as the backup recorded them: carried with their rows, or skipped; by name per store. */
export function recordedAppTables(manifest: BackupManifest): AppTableReport[] {
  return manifest.stores.flatMap((s) =>
    [
      ...(s.appTables ?? []).map((t): AppTableReport => ({ store: s.store, table: t.name, action: 'carried', rows: t.rows })),
      ...(s.skippedAppTables ?? []).map((table): AppTableReport => ({ store: s.store, table, action: 'skipped' })),
    ].sort((a, b) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0)),
  );
}

/** The store's tables of piri-db, then the application's it carries. */
export function allTables(store: ManifestStore): readonly ManifestTable[] {
  return [...store.tables, ...(store.appTables ?? [])];
}
