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
import { errorMessage, isOneOf } from '../narrow.ts';
import { OperationError } from '../errors.ts';
import { PACKAGE_JSON } from '../package-root.ts';
import { type Dialect, type StoreName, STORES } from '../catalog/registry.ts';
import { type AppTableSpec, type ColumnSpec, type TableSpec, VALUE_KINDS } from './catalog.ts';
import type { SequenceMark } from './endpoints.ts';
import type { AppTableReport } from './transfer.ts';

export const MANIFEST_FILE = 'manifest.json';
const FORMAT = 'piri-db-backup';
const FORMAT_VERSION = 1;

/** How a backup's data was taken: SQLite's online backup, pg_dump, or piri-db's logical dump. */
export type BackupMethod = 'sqlite-online-backup' | 'pg_dump' | 'logical';
const BACKUP_METHODS: readonly BackupMethod[] = ['sqlite-online-backup', 'pg_dump', 'logical'];
const BACKENDS: readonly Dialect[] = ['sqlite', 'postgres'];

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
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OperationError('BACKUP_INVALID', `${file} is not valid JSON: ${errorMessage(error)}`);
  }
  const manifest = checkedManifest(parsed, file);
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

/**
 * The manifest's JSON read into a BackupManifest field by field: a manifest of another format, edited by hand or cut
 * short is refused (BACKUP_INVALID) naming the field, instead of failing somewhere in the middle of a restore.
 */
function checkedManifest(parsed: unknown, file: string): BackupManifest {
  const invalid = (at: string, expected: string) =>
    new OperationError('BACKUP_INVALID', `${file} is not a valid piri-db backup manifest: ${at} is not ${expected}`);
  const object = (value: unknown, at: string): object => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(at, 'an object');
    return value;
  };
  // JSON objects hold their fields as own data properties.
  const field = (value: object, key: string): unknown => Object.getOwnPropertyDescriptor(value, key)?.value;
  const text = (value: object, key: string, at: string): string => {
    const found = field(value, key);
    if (typeof found !== 'string') throw invalid(`${at}.${key}`, 'text');
    return found;
  };
  const number = (value: object, key: string, at: string): number => {
    const found = field(value, key);
    if (typeof found !== 'number') throw invalid(`${at}.${key}`, 'a number');
    return found;
  };
  const oneOf = <T>(options: readonly T[], value: object, key: string, at: string): T => {
    const found = field(value, key);
    if (!isOneOf(options, found)) throw invalid(`${at}.${key}`, `one of ${options.join(', ')}`);
    return found;
  };
  const list = <T>(value: object, key: string, at: string, item: (value: unknown, at: string) => T): T[] => {
    const found = field(value, key);
    if (!Array.isArray(found)) throw invalid(`${at}.${key}`, 'a list');
    const items: readonly unknown[] = found;
    return items.map((each, i) => item(each, `${at}.${key}[${i}]`));
  };
  const texts = (value: object, key: string, at: string): string[] =>
    list(value, key, at, (each, where) => {
      if (typeof each !== 'string') throw invalid(where, 'text');
      return each;
    });
  /** `read(value)` as { [key]: ... } when the field is there, else nothing: absent fields stay absent. */
  const optional = <K extends string, T>(key: K, value: object, read: (found: unknown) => T): { [P in K]?: T } => {
    const found = field(value, key);
    const present: { [P in K]?: T } = {};
    if (found !== undefined) present[key] = read(found);
    return present;
  };

  const fileEntry = (value: unknown, at: string): FileEntry => {
    const entry = object(value, at);
    return { file: text(entry, 'file', at), sha256: text(entry, 'sha256', at), bytes: number(entry, 'bytes', at) };
  };
  const column = (value: unknown, at: string): ColumnSpec => {
    const spec = object(value, at);
    const serial = field(spec, 'serial');
    if (typeof serial !== 'boolean') throw invalid(`${at}.serial`, 'true or false');
    return { name: text(spec, 'name', at), kind: oneOf(VALUE_KINDS, spec, 'kind', at), serial };
  };
  const sequence = (value: unknown, at: string): SequenceMark => {
    const mark = object(value, at);
    return { table: text(mark, 'table', at), column: text(mark, 'column', at), value: text(mark, 'value', at) };
  };
  const table = (value: unknown, at: string): ManifestTable => {
    const t = object(value, at);
    return {
      name: text(t, 'name', at),
      rows: number(t, 'rows', at),
      checksum: text(t, 'checksum', at),
      columns: list(t, 'columns', at, column),
      primaryKey: texts(t, 'primaryKey', at),
      parents: texts(t, 'parents', at),
      sequences: list(t, 'sequences', at, sequence),
      ...optional('data', t, (data) => fileEntry(data, `${at}.data`)),
    };
  };
  const appTable = (value: unknown, at: string): ManifestAppTable => ({
    ...table(value, at),
    definition: texts(object(value, at), 'definition', at),
  });
  const migration = (value: unknown, at: string): ManifestMigration => {
    const m = object(value, at);
    return { tag: text(m, 'tag', at), hash: text(m, 'hash', at), createdAt: number(m, 'createdAt', at) };
  };
  const store = (value: unknown, at: string): ManifestStore => {
    const s = object(value, at);
    return {
      store: oneOf(STORES.map((each) => each.name), s, 'store', at),
      migrations: list(s, 'migrations', at, migration),
      ...optional('database', s, (database) => fileEntry(database, `${at}.database`)),
      tables: list(s, 'tables', at, table),
      ...optional('appTables', s, () => list(s, 'appTables', at, appTable)),
      ...optional('skippedAppTables', s, () => texts(s, 'skippedAppTables', at)),
    };
  };

  const manifest = object(parsed, 'the manifest');
  const format = field(manifest, 'format');
  const formatVersion = field(manifest, 'formatVersion');
  if (format !== FORMAT || formatVersion !== FORMAT_VERSION) {
    throw new OperationError('BACKUP_INVALID', `${file} is not a piri-db backup manifest of format ${FORMAT_VERSION}`);
  }
  const at = 'manifest';
  return {
    format,
    formatVersion,
    piriDbVersion: text(manifest, 'piriDbVersion', at),
    createdAt: text(manifest, 'createdAt', at),
    backend: oneOf(BACKENDS, manifest, 'backend', at),
    method: oneOf(BACKUP_METHODS, manifest, 'method', at),
    source: text(manifest, 'source', at),
    ...optional('pgDump', manifest, (value) => {
      const where = `${at}.pgDump`;
      const pgDump = object(value, where);
      return { ...fileEntry(pgDump, where), pgDumpVersion: text(pgDump, 'pgDumpVersion', where), serverVersion: number(pgDump, 'serverVersion', where) };
    }),
    stores: list(manifest, 'stores', at, store),
  };
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
