/**
 * The built-in logical dump of a Postgres installation: per table one NDJSON file, one JSON array per row,
 * values as Postgres hands them to us (postgres/sql.ts reads integers, JSON, uuids and timestamps as exact
 * text), bytea as base64. The manifest carries the columns, so the dump reads back without the schema files.
 */
import { createReadStream, mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AppliedMigration } from '../backend/migrations.ts';
import { type StoreDefinition, type StoreName } from '../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from './catalog.ts';
import { OperationError } from '../errors.ts';
import type { SequenceMark, Snapshot } from './endpoints.ts';
import { allTables, appTableSpec, type BackupManifest, type ManifestTable } from './manifest.ts';
import type { RawRow, RawValue } from './values.ts';

/** Writes a table's rows to `dir/file`; returns the number of rows. */
export async function writeTableDump(dir: string, file: string, table: TableSpec, batches: AsyncIterable<RawRow[]>): Promise<number> {
  const path = join(dir, file);
  mkdirSync(dirname(path), { recursive: true });
  const bytes = table.columns.map((c) => c.kind === 'bytes');
  const fd = openSync(path, 'w');
  let rows = 0;
  try {
    for await (const batch of batches) {
      let text = '';
      for (const row of batch) {
        text += `${JSON.stringify(row.map((v, i) => (bytes[i] && Buffer.isBuffer(v) ? v.toString('base64') : v)))}\n`;
      }
      writeSync(fd, text);
      rows += batch.length;
    }
  } finally {
    closeSync(fd);
  }
  return rows;
}

/** A dump line read back: a JSON array of text, numbers, booleans and nulls, bytea as base64 text. */
function dumpedRow(parsed: unknown, bytes: readonly boolean[], file: string): RawRow {
  if (!Array.isArray(parsed)) throw new OperationError('BACKUP_INVALID', `${file}: a line is not a JSON array of values`);
  const values: readonly unknown[] = parsed;
  return values.map((value, i): RawValue => {
    if (typeof value === 'string') return bytes[i] ? Buffer.from(value, 'base64') : value;
    if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
    throw new OperationError('BACKUP_INVALID', `${file}: a value is not text, a number, a boolean or null`);
  });
}

/** A logical dump read back as a snapshot of the installation it was taken from. */
export class DumpSnapshot implements Snapshot {
  readonly dialect = 'postgres' as const;

  constructor(
    readonly dir: string,
    readonly manifest: BackupManifest,
  ) {}

  get location(): string {
    return this.dir;
  }

  async journal(store: StoreDefinition): Promise<readonly AppliedMigration[] | undefined> {
    return this.#store(store.name).migrations.map((m) => ({ hash: m.hash, createdAt: m.createdAt }));
  }

  async tableNames(store: StoreDefinition): Promise<readonly string[]> {
    return allTables(this.#store(store.name)).map((t) => t.name);
  }

  async appTable(store: StoreDefinition, name: string): Promise<AppTableSpec> {
    const table = this.#store(store.name).appTables?.find((t) => t.name === name);
    if (!table) throw new OperationError('BACKUP_INVALID', `${this.dir} carries no table ${store.name}.${name} of the application`);
    return appTableSpec(store.name, table);
  }

  async count(table: TableSpec): Promise<number> {
    return this.#table(table).rows;
  }

  async *rows(table: TableSpec, batchSize: number): AsyncIterable<RawRow[]> {
    const entry = this.#table(table);
    if (!entry.data) return;
    const bytes = table.columns.map((c) => c.kind === 'bytes');
    const file = join(this.dir, entry.data.file);
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let batch: RawRow[] = [];
    for await (const line of lines) {
      if (line === '') continue;
      batch.push(dumpedRow(JSON.parse(line), bytes, file));
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async sequences(table: TableSpec): Promise<readonly SequenceMark[]> {
    return this.#table(table).sequences;
  }

  async close(): Promise<void> {}

  #store(name: StoreName) {
    return this.manifest.stores.find((s) => s.store === name)!;
  }

  #table(table: TableSpec): ManifestTable {
    return allTables(this.#store(table.store)).find((t) => t.name === table.name)!;
  }
}
