/**
 * What a store holds, read from the schema files (schema/<dialect>/<store>.ts) instead of a list: a table added
 * there is copied, backed up, restored and verified without touching this code.
 *
 * Each table is described once for both dialects. A column's kind comes from its Postgres type (the stricter
 * of the two); the SQLite twin must have the same columns, and lends its codec for writing timestamps as text.
 * Tables come in foreign-key order, parents first, so a load never references a row that is not there yet.
 */
import { is } from 'drizzle-orm';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, type SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { postgresSchemas } from '../backend/postgres/schemas.ts';
import { sqliteSchemas } from '../backend/sqlite/schemas.ts';
import { type StoreDefinition, type StoreName, STORES } from '../catalog/registry.ts';
import { OperationError } from '../errors.ts';

/**
 * How a value is carried between dialects, hashed and dumped. `native`: a column of an application's table,
 * whose meaning piri-db does not know; carried as its backend hands it over (Postgres: as text), within one
 * backend only.
 */
export const VALUE_KINDS = ['integer', 'text', 'bytes', 'boolean', 'json', 'uuid', 'timestamp', 'native'] as const;
export type ValueKind = (typeof VALUE_KINDS)[number];

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ValueKind;
  /** The column's Postgres sequence holds the next id (serial, bigserial). */
  readonly serial: boolean;
}

export interface TableSpec {
  readonly store: StoreName;
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  /** Column names; rows are read, hashed and compared in this order. */
  readonly primaryKey: readonly string[];
  /** Tables this one references, loaded before it. */
  readonly parents: readonly string[];
}

/**
 * A table an application added to a store's SQLite file or Postgres schema (drizzle's `__drizzle_migrations` on
 * SQLite, say): piri-db knows no schema file for it, only how to recreate it on the same backend. Its columns are
 * all `native`; its primary key is the declared one, or every column.
 */
export interface AppTableSpec extends TableSpec {
  /** Statements that recreate the table on its own backend (table first, then what hangs on it), in order. */
  readonly definition: readonly string[];
}

/** Whether a table is one of the application's (it carries a definition) rather than piri-db's. */
export const isAppTable = (table: TableSpec): table is AppTableSpec => 'definition' in table;

/** Whether an operation carries the application's tables it finds along, or leaves them out. */
export type AppTablesMode = 'carry' | 'skip';

/**
 * The tables of `present` (a store's tables, as a snapshot lists them: SQLite internals and piri-db's journal
 * already left out) that are not piri-db's: an application's. In code-unit order, the order of every report.
 */
export function appTableNames(store: StoreDefinition, present: readonly string[]): string[] {
  const known = new Set(storeTables(store).map((t) => t.name));
  return present.filter((name) => !known.has(name)).sort();
}

/** Writes a timestamp the way the SQLite schema's codec does (datetime or queue text format). */
export type SqliteTimeWriter = (date: Date) => string;

const cache = new Map<StoreName, { tables: readonly TableSpec[]; sqliteTime: Map<string, SqliteTimeWriter> }>();

export function storeTables(store: StoreDefinition): readonly TableSpec[] {
  return described(store).tables;
}

/** The SQLite codec of a timestamp column, for values arriving from Postgres. */
export function sqliteTimeWriter(table: TableSpec, column: string): SqliteTimeWriter {
  const writer = described(storeByName(table.store)).sqliteTime.get(`${table.name}.${column}`);
  if (!writer) throw new OperationError('OPERATION_FAILED', `no SQLite codec for ${table.store}.${table.name}.${column}`);
  return writer;
}

function storeByName(name: StoreName): StoreDefinition {
  return STORES.find((s) => s.name === name)!;
}

function described(store: StoreDefinition) {
  let entry = cache.get(store.name);
  if (entry) return entry;
  const sqliteTables = new Map<string, SQLiteTable>();
  for (const value of Object.values(sqliteSchemas[store.name])) {
    if (is(value, SQLiteTable)) sqliteTables.set(sqliteTableConfig(value).name, value);
  }
  const sqliteTime = new Map<string, SqliteTimeWriter>();
  const tables: TableSpec[] = [];
  const seen = new Set<string>();
  for (const value of Object.values(postgresSchemas[store.name])) {
    if (!is(value, PgTable)) continue;
    const config = pgTableConfig(value);
    if (seen.has(config.name)) continue;
    seen.add(config.name);
    const twin = sqliteTables.get(config.name);
    if (!twin) throw schemaDrift(store, `table ${config.name} is in schema/postgres but not in schema/sqlite`);
    const sqliteColumns = new Map(sqliteTableConfig(twin).columns.map((c) => [c.name, c]));
    const columns = config.columns.map((column): ColumnSpec => {
      const sqlType = column.getSQLType();
      const kind = kindOf(sqlType);
      if (!kind) throw schemaDrift(store, `column ${config.name}.${column.name} has type ${sqlType}, which piri-db cannot copy yet`);
      const sqliteColumn = sqliteColumns.get(column.name);
      if (!sqliteColumn) throw schemaDrift(store, `column ${config.name}.${column.name} is missing from schema/sqlite`);
      if (kind === 'timestamp') sqliteTime.set(`${config.name}.${column.name}`, timeWriter(sqliteColumn));
      return { name: column.name, kind, serial: /serial$/.test(sqlType) };
    });
    if (sqliteColumns.size !== columns.length) {
      const extra = [...sqliteColumns.keys()].filter((name) => !columns.some((c) => c.name === name));
      throw schemaDrift(store, `column(s) ${extra.join(', ')} of ${config.name} are in schema/sqlite only`);
    }
    const declared = config.columns.filter((c) => c.primary).map((c) => c.name);
    const composite = config.primaryKeys[0]?.columns.map((c) => c.name) ?? [];
    const primaryKey = declared.length > 0 ? declared : composite.length > 0 ? composite : columns.map((c) => c.name);
    const parents = [
      ...new Set(config.foreignKeys.map((fk) => pgTableConfig(fk.reference().foreignTable).name)),
    ].filter((name) => name !== config.name);
    tables.push({ store: store.name, name: config.name, columns, primaryKey, parents });
  }
  const extra = [...sqliteTables.keys()].filter((name) => !seen.has(name));
  if (extra.length > 0) throw schemaDrift(store, `table(s) ${extra.join(', ')} are in schema/sqlite only`);
  entry = { tables: parentsFirst(store, tables), sqliteTime };
  cache.set(store.name, entry);
  return entry;
}

/**
 * The schema codec's text, except that a GORM `datetime` at a whole second is written as SQLite's
 * CURRENT_TIMESTAMP writes it (`YYYY-MM-DD HH:MM:SS`): the form those columns hold for every row the database
 * default stamped, so such values come back from Postgres as the very text they left with. Queue times
 * (declared text, compared as text) always keep their fixed-width format.
 */
function timeWriter(column: SQLiteColumn): SqliteTimeWriter {
  const codec = (date: Date) => String(column.mapToDriverValue(date));
  if (column.getSQLType() !== 'datetime') return codec;
  return (date) => (date.getUTCMilliseconds() === 0 ? date.toISOString().slice(0, 19).replace('T', ' ') : codec(date));
}

function kindOf(sqlType: string): ValueKind | undefined {
  if (/^(smallserial|serial|bigserial|smallint|integer|bigint)$/.test(sqlType)) return 'integer';
  if (/^(text|varchar|character varying|char|character)(\(\d+\))?$/.test(sqlType)) return 'text';
  if (sqlType === 'bytea') return 'bytes';
  if (sqlType === 'boolean') return 'boolean';
  if (sqlType === 'jsonb' || sqlType === 'json') return 'json';
  if (sqlType === 'uuid') return 'uuid';
  if (sqlType === 'timestamp with time zone') return 'timestamp';
  return undefined;
}

/** Stable topological order: declaration order, except that a table waits for the tables it references. */
export function parentsFirst<T extends { name: string; parents: readonly string[] }>(store: StoreDefinition, tables: readonly T[]): T[] {
  const names = new Set(tables.map((t) => t.name));
  const done = new Set<string>();
  const ordered: T[] = [];
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !done.has(t.name) && t.parents.every((p) => done.has(p) || !names.has(p)));
    if (!next) {
      const stuck = tables.filter((t) => !done.has(t.name)).map((t) => t.name);
      throw schemaDrift(store, `foreign keys form a cycle among ${stuck.join(', ')}`);
    }
    done.add(next.name);
    ordered.push(next);
  }
  return ordered;
}

function schemaDrift(store: StoreDefinition, problem: string): OperationError {
  return new OperationError('OPERATION_FAILED', `store ${store.name}: ${problem}`);
}
