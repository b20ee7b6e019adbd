/** Postgres statement text for the operations; the twin of sqlite/sql.ts. */
import type { TableSpec, ValueKind } from '../catalog.ts';
import type { RawRow } from '../values.ts';

export const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
export const qualified = (schema: string, table: string): string => `${quote(schema)}.${quote(table)}`;

/** How each kind is read: as text wherever a JS value would lose something (int8 range, microseconds). */
const READ: Record<ValueKind, (column: string) => string> = {
  integer: (c) => `${c}::text`,
  text: (c) => c,
  bytes: (c) => c,
  boolean: (c) => c,
  json: (c) => `${c}::text`,
  uuid: (c) => `${c}::text`,
  timestamp: (c) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  // Text is every type's lossless form, and what COPY reads back into the same type.
  native: (c) => `${c}::text`,
};

/**
 * Text sorts by bytes ("C"), as SQLite's BINARY collation does, so both sides hash rows in one order. The
 * columns are qualified: a bare name would sort by the output column of that name, i.e. by its text form.
 * An application's column sorts by its text form, in bytes: one order in any two databases.
 */
const ORDER: Partial<Record<ValueKind, (column: string) => string>> = {
  text: (c) => `${c} COLLATE "C"`,
  native: (c) => `${c}::text COLLATE "C"`,
};

function orderBy(table: TableSpec): string {
  return table.primaryKey
    .map((name) => {
      const kind = table.columns.find((c) => c.name === name)!.kind;
      return (ORDER[kind] ?? String)(`t.${quote(name)}`);
    })
    .join(', ');
}

export function selectRows(schema: string, table: TableSpec): string {
  const columns = table.columns.map((c) => `${READ[c.kind](`t.${quote(c.name)}`)} AS ${quote(c.name)}`).join(', ');
  return `SELECT ${columns} FROM ${qualified(schema, table.name)} AS t ORDER BY ${orderBy(table)}`;
}

/** COPY in text format: every value as text the server parses by the column's type (no JS Date in between). */
export function copyInto(schema: string, table: TableSpec): string {
  return `COPY ${qualified(schema, table.name)} (${table.columns.map((c) => quote(c.name)).join(', ')}) FROM STDIN`;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Rows as COPY text lines: tab-separated, \N for NULL, bytea in hex, backslash escapes. */
export function copyText(rows: readonly RawRow[]): string {
  let text = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const value = row[i];
      if (i > 0) text += '\t';
      if (value === null || value === undefined) text += '\\N';
      else if (Buffer.isBuffer(value)) text += `\\\\x${value.toString('hex')}`;
      else if (typeof value === 'boolean') text += value ? 't' : 'f';
      else text += String(value).replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!);
    }
    text += '\n';
  }
  return text;
}

export const countRows = (schema: string, table: string): string => `SELECT count(*)::text AS n FROM ${qualified(schema, table)}`;
export const anyRow = (schema: string, table: string): string => `SELECT 1 FROM ${qualified(schema, table)} LIMIT 1`;
export const maxOf = (schema: string, table: string, column: string): string =>
  `SELECT max(${quote(column)})::text AS max, pg_sequence_last_value(pg_get_serial_sequence($1, $2)::regclass)::text AS last FROM ${qualified(schema, table)}`;
export const SET_SEQUENCE = `SELECT setval(pg_get_serial_sequence($1, $2), $3::text::bigint, $4)`;
export const TABLE_NAMES = `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`;
export const SCHEMA_EXISTS = `SELECT 1 FROM pg_namespace WHERE nspname = $1`;
export const USER_TRIGGERS = `
  SELECT t.tgname AS name, t.tgenabled AS enabled, c.relname AS "table" FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND NOT t.tgisinternal`;
export const UNVALIDATED_CONSTRAINTS = `
  SELECT c.conname AS name, c.conrelid::regclass::text AS "table" FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1 AND NOT c.convalidated`;
export const disableTriggers = (schema: string, table: string): string => `ALTER TABLE ${qualified(schema, table)} DISABLE TRIGGER USER`;
export const enableTriggers = (schema: string, table: string): string => `ALTER TABLE ${qualified(schema, table)} ENABLE TRIGGER USER`;

// doctor: exhausted and far-in-flight jobs of one queue.
export const plainQueueHealth = (schema: string): string => `
  SELECT count(*) FILTER (WHERE received >= $1 AND timeout <= $2::text::timestamptz)::int AS exhausted,
         count(*) FILTER (WHERE received > 0 AND timeout > $3::text::timestamptz)::int AS stuck
  FROM ${qualified(schema, 'jobqueue')} WHERE queue = $4`;
export const dedupQueueHealth = (schema: string): string => `
  SELECT count(*) FILTER (WHERE j.attempts >= $1 AND j.avail_s <= $2::text::bigint)::int AS exhausted,
         count(*) FILTER (WHERE j.attempts > 0 AND j.avail_s > $3::text::bigint)::int AS stuck
  FROM ${qualified(schema, 'jobs')} j JOIN ${qualified(schema, 'job_ns')} n ON n.id = j.ns_id WHERE n.queue = $4`;
