/** SQLite statement text for the operations; the twin of postgres/sql.ts. */
import { SQLITE_JOURNAL } from '../../backend/sqlite/migrate.ts';
import type { TableSpec } from '../catalog.ts';

export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Every column in `table.columns` order, rows in primary-key order (BINARY collation: byte order, as "C" on Postgres). */
export function selectRows(table: TableSpec): string {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  return `SELECT ${columns} FROM ${quote(table.name)} ORDER BY ${table.primaryKey.map(quote).join(', ')}`;
}

export function insertRow(table: TableSpec): string {
  const columns = table.columns.map((c) => quote(c.name)).join(', ');
  return `INSERT INTO ${quote(table.name)} (${columns}) VALUES (${table.columns.map(() => '?').join(', ')})`;
}

export const countRows = (table: string): string => `SELECT count(*) FROM ${quote(table)}`;
export const anyRow = (table: string): string => `SELECT 1 FROM ${quote(table)} LIMIT 1`;
export const maxOf = (table: string, column: string): string => `SELECT max(${quote(column)}) FROM ${quote(table)}`;

/** User tables: not SQLite's own (sqlite_sequence, sqlite_stat1) and not the migration journal. */
export const TABLE_NAMES = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '${SQLITE_JOURNAL}' ORDER BY name`;
export const HAS_SEQUENCE_TABLE = `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'`;
export const SEQUENCE_OF = `SELECT seq FROM sqlite_sequence WHERE name = ?`;
export const TRIGGERS_ON = `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?`;
export const IS_AUTOINCREMENT = `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? AND sql LIKE '%AUTOINCREMENT%'`;
export const TRIGGER_NAMES = `SELECT name FROM sqlite_master WHERE type = 'trigger'`;

// doctor: exhausted and far-in-flight jobs of one queue. Plain queue times are the queue's text format.
export const PLAIN_QUEUE_HEALTH = `
  SELECT count(*) FILTER (WHERE received >= ? AND timeout <= ?) AS exhausted,
         count(*) FILTER (WHERE received > 0 AND timeout > ?) AS stuck
  FROM jobqueue WHERE queue = ?`;
export const DEDUP_QUEUE_HEALTH = `
  SELECT count(*) FILTER (WHERE j.attempts >= ? AND j.avail_s <= ?) AS exhausted,
         count(*) FILTER (WHERE j.attempts > 0 AND j.avail_s > ?) AS stuck
  FROM jobs j JOIN job_ns n ON n.id = j.ns_id WHERE n.queue = ?`;
export const TABLE_LIST = `SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`;

// An application's table: its statements as SQLite keeps them (the table first; autoindexes have none), its
// insertable columns (hidden 0: not generated), and the tables its foreign keys reference.
export const APP_TABLE_DEFINITION = `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL
  ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name`;
export const APP_TABLE_COLUMNS = `SELECT name, type, pk FROM pragma_table_xinfo(?) WHERE hidden = 0 ORDER BY cid`;
export const APP_TABLE_PARENTS = `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`;
