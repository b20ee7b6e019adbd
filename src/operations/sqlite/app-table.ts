/**
 * An application's table in a SQLite store file, described for carrying it to another SQLite file: its
 * definition exactly as SQLite keeps it (sqlite_master.sql of the table, its indexes and triggers), so the copy
 * is the same table; its values pass through as the driver hands them over.
 */
import { allRows, columnValues } from '../../backend/sqlite/rows.ts';
import type Database from 'better-sqlite3';
import type { StoreName } from '../../catalog/registry.ts';
import type { AppTableSpec } from '../catalog.ts';
import * as q from './sql.ts';

/** The application's table `name` of the store file `client` has open. */
export function describeSqliteAppTable(client: Database.Database, store: StoreName, name: string): AppTableSpec {
  const definition = columnValues<string>(client.prepare(q.APP_TABLE_DEFINITION), name);
  const columns = allRows<{ name: string; type: string; pk: number }>(client.prepare(q.APP_TABLE_COLUMNS), name);
  const primaryKey = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  // An INTEGER PRIMARY KEY is the rowid: with AUTOINCREMENT its sqlite_sequence mark is carried too.
  const rowid = primaryKey.length === 1 && columns.find((c) => c.name === primaryKey[0])!.type.toUpperCase() === 'INTEGER' ? primaryKey[0] : undefined;
  return {
    store,
    name,
    columns: columns.map((c) => ({ name: c.name, kind: 'native', serial: c.name === rowid })),
    primaryKey: primaryKey.length > 0 ? primaryKey : columns.map((c) => c.name),
    parents: columnValues<string>(client.prepare(q.APP_TABLE_PARENTS), name).filter((parent) => parent !== name),
    definition,
  };
}
