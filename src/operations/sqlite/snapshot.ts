/**
 * A read-only snapshot of SQLite store files: each file opened read-only, inside ONE read transaction that
 * stays open until close(), so every read of a store sees the same committed state (WAL readers keep their
 * snapshot while a running instance goes on writing). Nothing is created or changed.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from '../../backend/sqlite/open.ts';
import { keepsLegacyJournal, readSqliteJournal } from '../../backend/sqlite/migrate.ts';
import { columnValues, eachRow, firstValue, onlyValue } from '../../backend/sqlite/rows.ts';
import type { AppliedMigration } from '../../backend/migrations.ts';
import { errorMessage } from '../../narrow.ts';
import { OperationError, PiriDbError } from '../../errors.ts';
import { type StoreDefinition, type StoreName, STORES } from '../../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from '../catalog.ts';
import { describeSqliteAppTable } from './app-table.ts';
import type { SequenceMark, Snapshot } from '../endpoints.ts';
import type { RawRow } from '../values.ts';
import * as q from './sql.ts';

export function openSqliteSnapshot(files: ReadonlyMap<StoreName, string>, location: string): SqliteSnapshot {
  return new SqliteSnapshot(files, location);
}

export class SqliteSnapshot implements Snapshot {
  readonly dialect = 'sqlite' as const;
  readonly #clients = new Map<StoreName, Database.Database>();

  constructor(
    readonly files: ReadonlyMap<StoreName, string>,
    readonly location: string,
  ) {
    try {
      for (const store of STORES) {
        const file = files.get(store.name);
        if (!file || !existsSync(file)) continue;
        const client = openReadOnly(store, file);
        this.#clients.set(store.name, client);
        client.exec('BEGIN');
        client.prepare('SELECT count(*) FROM sqlite_master').get(); // the read transaction starts here
      }
    } catch (error) {
      this.#closeAll();
      throw error;
    }
  }

  /** The store's connection, inside the snapshot's read transaction. */
  client(store: StoreName): Database.Database | undefined {
    return this.#clients.get(store);
  }

  /**
   * Refuses a store whose journal is still where an earlier build kept it: that table (`__drizzle_migrations`)
   * would be carried as the application's, piri-db's rows and all, and a target never moves them out.
   */
  async journal(store: StoreDefinition): Promise<readonly AppliedMigration[] | undefined> {
    const client = this.#clients.get(store.name);
    if (!client) return undefined;
    const conn = { dialect: 'sqlite', store, file: this.files.get(store.name)!, client } as const;
    if (keepsLegacyJournal(conn)) {
      throw new OperationError(
        'SOURCE_NOT_READY',
        `store ${store.name} in ${this.location} keeps piri-db's migration journal where an earlier build did (in __drizzle_migrations, ` +
          'which the application shares): run `piri-db migrate` on it once, which moves it, then run this again; nothing was changed',
      );
    }
    return readSqliteJournal(conn);
  }

  async tableNames(store: StoreDefinition): Promise<readonly string[]> {
    const client = this.#clients.get(store.name);
    return client ? columnValues<string>(client.prepare(q.TABLE_NAMES)) : [];
  }

  async appTable(store: StoreDefinition, name: string): Promise<AppTableSpec> {
    return describeSqliteAppTable(this.#client({ store: store.name }), store.name, name);
  }

  async count(table: TableSpec): Promise<number> {
    return onlyValue<number>(this.#client(table).prepare(q.countRows(table.name)));
  }

  async *rows(table: TableSpec, batchSize: number): AsyncIterable<RawRow[]> {
    const statement = this.#client(table).prepare(q.selectRows(table)).raw(true).safeIntegers(true);
    let batch: RawRow[] = [];
    for (const row of eachRow<RawRow>(statement)) {
      batch.push(row);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  async sequences(table: TableSpec): Promise<readonly SequenceMark[]> {
    const client = this.#client(table);
    const hasSequences = client.prepare(q.HAS_SEQUENCE_TABLE).get() !== undefined;
    return table.columns
      .filter((c) => c.serial)
      .map((column) => {
        const max = onlyValue<bigint | null>(client.prepare(q.maxOf(table.name, column.name)).safeIntegers(true));
        const seq = hasSequences ? (firstValue<bigint>(client.prepare(q.SEQUENCE_OF).safeIntegers(true), table.name) ?? null) : null;
        const value = [max, seq].reduce<bigint>((a, b) => (b !== null && b > a ? b : a), 0n);
        return { table: table.name, column: column.name, value: value.toString() };
      });
  }

  async close(): Promise<void> {
    this.#closeAll();
  }

  #client(table: Pick<TableSpec, 'store'>): Database.Database {
    const client = this.#clients.get(table.store);
    if (!client) throw new PiriDbError('OPEN_FAILED', `store ${table.store} has no file in ${this.location}`);
    return client;
  }

  #closeAll(): void {
    for (const client of this.#clients.values()) {
      if (client.inTransaction) client.exec('COMMIT');
      client.close();
    }
    this.#clients.clear();
  }
}

function openReadOnly(store: StoreDefinition, file: string): Database.Database {
  let client: Database.Database | undefined;
  try {
    client = new Database(file, { readonly: true, fileMustExist: true });
    client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return client;
  } catch (error) {
    client?.close();
    throw new PiriDbError('OPEN_FAILED', `cannot open store ${store.name} at ${file}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
