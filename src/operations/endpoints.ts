/**
 * The two ends of every operation that moves rows: a consistent, read-only snapshot to read from, and an empty
 * installation to load into. Each dialect implements both (sqlite/, postgres/); copy, backup and restore are
 * written against these interfaces and never branch on the dialect.
 */
import type { AppliedMigration, Migration } from '../backend/migrations.ts';
import { OperationError } from '../errors.ts';
import type { Dialect, StoreDefinition, StoreName } from '../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from './catalog.ts';
import type { TableDigest } from './digest.ts';
import type { RawRow } from './values.ts';

/** The highest id a serial column has handed out (its sequence, or the largest id if higher), as decimal text. */
export interface SequenceMark {
  readonly table: string;
  readonly column: string;
  readonly value: string;
}

/** One consistent view of an installation (or a backup), read-only. */
export interface Snapshot {
  readonly dialect: Dialect;
  /** For messages: a data dir, a backup dir, or a redacted URL. */
  readonly location: string;
  /** The store's migration journal; undefined when the store was never set up. */
  journal(store: StoreDefinition): Promise<readonly AppliedMigration[] | undefined>;
  /** Tables present in the store, bookkeeping tables (journal, sqlite_sequence) left out. */
  tableNames(store: StoreDefinition): Promise<readonly string[]>;
  /** An application's table of the store (one `tableNames` lists that is not piri-db's): how to recreate it. */
  appTable(store: StoreDefinition, name: string): Promise<AppTableSpec>;
  count(table: TableSpec): Promise<number>;
  /** Every row, in primary-key order, columns in `table.columns` order, in batches. */
  rows(table: TableSpec, batchSize: number): AsyncIterable<RawRow[]>;
  sequences(table: TableSpec): Promise<readonly SequenceMark[]>;
  close(): Promise<void>;
}

/** An installation being filled: checked empty, migrated, loaded table by table, then verified. */
export interface LoadTarget {
  readonly dialect: Dialect;
  readonly location: string;
  /** How an operator empties this installation, for the refusal message. */
  readonly emptyingHint: string;
  /** `store.table` for every table that holds at least one row; empty means the installation holds no data. */
  occupied(): Promise<readonly string[]>;
  /** The migrations already applied to a store (none when it does not exist yet). */
  journal(store: StoreDefinition): Promise<readonly AppliedMigration[]>;
  /** Tables present in the store (none when it does not exist yet), bookkeeping tables left out. */
  tableNames(store: StoreDefinition): Promise<readonly string[]>;
  /**
   * Recreates an application's tables from their definitions (same backend), after `migrate`, in order, all or
   * none (SQLite: all or none per store file). A definition the target cannot run is refused naming the table.
   */
  createAppTables(tables: readonly AppTableSpec[]): Promise<void>;
  /** Brings every store to exactly these migrations (a store may already hold a prefix of them). */
  migrate(wanted: ReadonlyMap<StoreName, readonly Migration[]>): Promise<void>;
  /**
   * Inserts the rows into an empty table in ONE transaction, with the table's own triggers off (the copied
   * rows already carry their effects, e.g. refcounts). Returns the number of rows.
   */
  load(table: TableSpec, batches: AsyncIterable<RawRow[]>, onRows: (rows: number) => void): Promise<number>;
  /** Makes new ids continue above the marks. */
  setSequences(table: TableSpec, marks: readonly SequenceMark[]): Promise<void>;
  digest(table: TableSpec): Promise<TableDigest>;
  /** What is wrong with a loaded store: foreign-key violations, missing or disabled triggers, corruption. */
  problems(store: StoreDefinition): Promise<readonly string[]>;
  close(): Promise<void>;
}

/** An application's table whose definition a target could not run: named, with the way out. */
export function appTableFailed(table: AppTableSpec, location: string, error: unknown): OperationError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new OperationError(
    'OPERATION_FAILED',
    `cannot recreate the application's table ${table.store}.${table.name} in ${location}: ${reason}; ` +
      `run again with --app-tables skip (appTables: 'skip') and let the application create it`,
    { cause: error },
  );
}
