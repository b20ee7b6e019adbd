/**
 * A SQLite installation being filled by copy or restore. The data dir's writer lock is held from open to
 * close, so no piri instance can start on it meanwhile. Existing store files are only read until the
 * installation has been found empty.
 */
import Database from 'better-sqlite3';
import type { AppliedMigration, Migration } from '../../backend/migrations.ts';
import { migrateSqlite, planSqlite, readSqliteJournal } from '../../backend/sqlite/migrate.ts';
import { openSqliteStore, openSqliteStoreReadOnly } from '../../backend/sqlite/open.ts';
import { allRows, columnValues, eachRow, firstValue, pragmaRows } from '../../backend/sqlite/rows.ts';
import type { SqliteStoreConnection } from '../../backend/types.ts';
import { acquireWriterLock, type WriterLock } from '../../backend/sqlite/writer-lock.ts';
import { type StoreDefinition, type StoreName, STORES } from '../../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from '../catalog.ts';
import { type TableDigest, TableDigester } from '../digest.ts';
import { appTableFailed, type LoadTarget, type SequenceMark } from '../endpoints.ts';
import type { RawRow } from '../values.ts';
import * as q from './sql.ts';

export function openSqliteTarget(dataDir: string): SqliteTarget {
  return new SqliteTarget(dataDir, acquireWriterLock(dataDir));
}

export class SqliteTarget implements LoadTarget {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  readonly emptyingHint: string;
  readonly #connections = new Map<StoreName, SqliteStoreConnection>();

  constructor(
    readonly dataDir: string,
    readonly lock: WriterLock,
  ) {
    this.location = dataDir;
    this.emptyingHint = `move the store files ${STORES.map((s) => s.sqlitePath).join(', ')} (and their -wal and -shm files) out of ${dataDir}`;
  }

  async occupied(): Promise<readonly string[]> {
    const found: string[] = [];
    for (const store of STORES) {
      withReadOnly(this.dataDir, store, (conn) => {
        for (const table of columnValues<string>(conn.client.prepare(q.TABLE_NAMES))) {
          if (conn.client.prepare(q.anyRow(table)).get() !== undefined) found.push(`${store.name}.${table}`);
        }
      });
    }
    return found;
  }

  async tableNames(store: StoreDefinition): Promise<readonly string[]> {
    return withReadOnly(this.dataDir, store, (conn) => columnValues<string>(conn.client.prepare(q.TABLE_NAMES))) ?? [];
  }

  async createAppTables(tables: readonly AppTableSpec[]): Promise<void> {
    for (const store of STORES) {
      const own = tables.filter((t) => t.store === store.name);
      if (own.length === 0) continue;
      const { client } = this.#open(store);
      client
        .transaction(() => {
          for (const table of own) {
            try {
              for (const statement of table.definition) client.exec(statement);
            } catch (error) {
              throw appTableFailed(table, this.location, error);
            }
          }
        })
        .immediate();
    }
  }

  async journal(store: StoreDefinition): Promise<readonly AppliedMigration[]> {
    const open = this.#connections.get(store.name);
    if (open) return readSqliteJournal(open);
    return withReadOnly(this.dataDir, store, (conn) => readSqliteJournal(conn)) ?? [];
  }

  async migrate(wanted: ReadonlyMap<StoreName, readonly Migration[]>): Promise<void> {
    for (const store of STORES) {
      const conn = this.#open(store);
      const { applied } = planSqlite(conn);
      const migrations = wanted.get(store.name) ?? [];
      migrateSqlite(conn, { applied, pending: migrations.slice(applied.length) });
    }
  }

  async load(table: TableSpec, batches: AsyncIterable<RawRow[]>, onRows: (rows: number) => void): Promise<number> {
    const { client } = this.#open(storeOf(table));
    const triggers = allRows<{ name: string; sql: string }>(client.prepare(q.TRIGGERS_ON), table.name);
    const insert = client.prepare(q.insertRow(table));
    let loaded = 0;
    client.exec('BEGIN IMMEDIATE');
    try {
      // Checked at COMMIT: rows of a table that references itself may come in any order.
      client.pragma('defer_foreign_keys = ON');
      for (const trigger of triggers) client.exec(`DROP TRIGGER ${q.quote(trigger.name)}`);
      for await (const rows of batches) {
        for (const row of rows) insert.run(row);
        loaded += rows.length;
        onRows(rows.length);
      }
      for (const trigger of triggers) client.exec(trigger.sql);
      client.exec('COMMIT');
    } catch (error) {
      if (client.inTransaction) client.exec('ROLLBACK');
      throw error;
    }
    return loaded;
  }

  async setSequences(table: TableSpec, marks: readonly SequenceMark[]): Promise<void> {
    const { client } = this.#open(storeOf(table));
    // Only AUTOINCREMENT tables have a sequence; a plain rowid table continues above its largest id anyway.
    if (client.prepare(q.IS_AUTOINCREMENT).get(table.name) === undefined) return;
    for (const mark of marks) {
      const value = BigInt(mark.value);
      if (value <= 0n) continue;
      const current = firstValue<bigint>(client.prepare(q.SEQUENCE_OF).safeIntegers(true), table.name);
      if (current === undefined) client.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table.name, value);
      else if (current < value) client.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(value, table.name);
    }
  }

  async digest(table: TableSpec): Promise<TableDigest> {
    const { client } = this.#open(storeOf(table));
    const digester = new TableDigester('sqlite', table);
    const statement = client.prepare(q.selectRows(table)).raw(true).safeIntegers(true);
    let batch: RawRow[] = [];
    for (const row of eachRow<RawRow>(statement)) {
      batch.push(row);
      if (batch.length === 1000) {
        digester.add(batch);
        batch = [];
      }
    }
    digester.add(batch);
    return digester.digest();
  }

  async problems(store: StoreDefinition): Promise<readonly string[]> {
    return sqliteProblems(this.#open(store).client, store);
  }

  async close(): Promise<void> {
    try {
      for (const conn of this.#connections.values()) conn.client.close();
      this.#connections.clear();
    } finally {
      this.lock.release();
    }
  }

  #open(store: StoreDefinition): SqliteStoreConnection {
    let conn = this.#connections.get(store.name);
    if (!conn) {
      conn = openSqliteStore(this.dataDir, store);
      this.#connections.set(store.name, conn);
    }
    return conn;
  }
}

/** integrity_check, foreign_key_check and the registry's triggers, on one store file. */
export function sqliteProblems(client: Database.Database, store: StoreDefinition): string[] {
  const problems = integrityProblems(client);
  const present = new Set(columnValues<string>(client.prepare(q.TRIGGER_NAMES)));
  const missing = store.triggers.filter((t) => !present.has(t));
  if (missing.length > 0) problems.push(`trigger(s) missing: ${missing.join(', ')}`);
  return problems;
}

/** What PRAGMA integrity_check and foreign_key_check find, one line each; empty when the file is sound. */
export function integrityProblems(client: Database.Database): string[] {
  const problems: string[] = [];
  const integrity = pragmaRows<{ integrity_check: string }>(client, 'integrity_check');
  if (integrity.length !== 1 || integrity[0]!.integrity_check !== 'ok') {
    problems.push(`integrity_check: ${integrity.slice(0, 3).map((r) => r.integrity_check).join('; ')}`);
  }
  const violations = pragmaRows<{ table: string; rowid: number; parent: string }>(client, 'foreign_key_check');
  if (violations.length > 0) {
    const first = violations[0]!;
    problems.push(
      `foreign_key_check: ${violations.length} row(s) reference missing parents (first: ${first.table} rowid ${first.rowid} -> ${first.parent})`,
    );
  }
  return problems;
}

function storeOf(table: TableSpec): StoreDefinition {
  return STORES.find((s) => s.name === table.store)!;
}

function withReadOnly<T>(dataDir: string, store: StoreDefinition, read: (conn: SqliteStoreConnection) => T): T | undefined {
  const conn = openSqliteStoreReadOnly(dataDir, store);
  if (!conn) return undefined;
  try {
    return read(conn);
  } finally {
    conn.client.close();
  }
}
