/**
 * Values as the two dialects' drivers hand them to us ("raw"), and the one logical form they meet in.
 *
 * Raw SQLite values come from better-sqlite3 with safe integers: bigint, number, string, Buffer, null.
 * Raw Postgres values come from the select expressions in postgres/sql.ts: integers, uuids, JSON and
 * timestamps as text (timestamps as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, so no precision is lost to a JS Date),
 * bytea as Buffer, booleans as boolean.
 *
 * Moving a row between dialects decodes each value into its logical form and encodes it for the other side.
 * Within one dialect raw values pass through untouched. The checksum hashes the canonical form of the logical
 * value, computed the same way from either side:
 *   integer  decimal text          boolean  0 / 1           bytes  the bytes
 *   text     the text              uuid     lower case      json   parsed and re-serialised with sorted keys
 *   timestamp  milliseconds since the epoch: the precision of the SQLite text formats and of JS Dates;
 *              Postgres keeps microseconds, which a move to SQLite truncates.
 */
import type { Dialect } from '../catalog/registry.ts';
import { type ColumnSpec, sqliteTimeWriter, type TableSpec, type ValueKind } from './catalog.ts';

export type RawValue = null | bigint | number | string | boolean | Buffer;
export type RawRow = RawValue[];

/**
 * A value in its logical form, tagged with its kind. A timestamp is microseconds since the epoch (a double holds
 * them exactly until the year 2255); a `native` value is an application column's, moved as the driver gave it.
 */
type Logical =
  | null
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'uuid'; readonly value: string }
  | { readonly kind: 'json'; readonly value: string }
  | { readonly kind: 'bytes'; readonly value: Buffer }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'timestamp'; readonly micros: number }
  | { readonly kind: 'native'; readonly value: RawValue };

export class ValueError extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// Decoding raw values into logical ones

function fromSqlite(kind: ValueKind, raw: RawValue): Logical {
  if (raw === null) return null;
  switch (kind) {
    case 'integer':
      if (typeof raw === 'bigint') return { kind, value: raw };
      if (typeof raw === 'number' && Number.isInteger(raw)) return { kind, value: BigInt(raw) };
      break;
    case 'text':
    case 'uuid':
      if (typeof raw === 'string') return { kind, value: raw };
      break;
    case 'bytes':
      if (Buffer.isBuffer(raw)) return { kind, value: raw };
      if (typeof raw === 'string') return { kind, value: Buffer.from(raw, 'utf8') };
      break;
    case 'boolean':
      if (raw === 0n || raw === 0) return { kind, value: false };
      if (raw === 1n || raw === 1) return { kind, value: true };
      break;
    case 'json':
      // Declared `JSON`, so NUMERIC affinity: a JSON number is stored as a number.
      if (typeof raw === 'string') return { kind, value: raw };
      if (typeof raw === 'bigint' || typeof raw === 'number') return { kind, value: String(raw) };
      break;
    case 'timestamp':
      if (typeof raw === 'string') {
        const micros = parseTimestamp(raw);
        if (micros !== undefined) return { kind, micros };
      }
      break;
  }
  throw new ValueError(`${describe(raw)} is not a valid ${kind}`);
}

/** Postgres values come as postgres/sql.ts reads them: text but for bytea (a Buffer) and booleans. */
function fromPostgres(kind: ValueKind, raw: RawValue): Logical {
  if (raw === null) return null;
  switch (kind) {
    case 'integer':
      if (typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'bigint') return { kind, value: BigInt(raw) };
      break;
    case 'timestamp':
      if (typeof raw === 'string') {
        const micros = parseTimestamp(raw);
        if (micros !== undefined) return { kind, micros };
      }
      break;
    case 'text':
    case 'uuid':
    case 'json':
      if (typeof raw === 'string') return { kind, value: raw };
      break;
    case 'bytes':
      if (Buffer.isBuffer(raw)) return { kind, value: raw };
      break;
    case 'boolean':
      if (typeof raw === 'boolean') return { kind, value: raw };
      break;
    case 'native':
      return { kind, value: raw };
  }
  throw new ValueError(`${describe(raw)} is not a valid ${kind}`);
}

const DECODE: Record<Dialect, (kind: ValueKind, raw: RawValue) => Logical> = { sqlite: fromSqlite, postgres: fromPostgres };

// ---------------------------------------------------------------------------------------------------------------
// Encoding logical values for a dialect

function toSqlite(table: TableSpec, column: ColumnSpec, value: Logical): RawValue {
  if (value === null) return null;
  switch (value.kind) {
    case 'boolean':
      return value.value ? 1n : 0n;
    case 'json':
      return compactJson(value.value);
    case 'timestamp':
      return sqliteTimeWriter(table, column.name)(new Date(Math.floor(value.micros / 1000)));
    default:
      return value.value;
  }
}

function toPostgres(_table: TableSpec, _column: ColumnSpec, value: Logical): RawValue {
  if (value === null) return null;
  switch (value.kind) {
    case 'integer':
      return value.value.toString();
    case 'timestamp':
      return formatMicros(value.micros);
    default:
      return value.value;
  }
}

const ENCODE: Record<Dialect, (table: TableSpec, column: ColumnSpec, value: Logical) => RawValue> = {
  sqlite: toSqlite,
  postgres: toPostgres,
};

/** Converts one batch of rows read from `from` into values `to` can insert; the identity within a dialect. */
export function rowConverter(from: Dialect, to: Dialect, table: TableSpec): (rows: RawRow[]) => RawRow[] {
  if (from === to) return (rows) => rows;
  const decode = DECODE[from];
  const encode = ENCODE[to];
  return (rows) =>
    rows.map((row) =>
      table.columns.map((column, i) => {
        try {
          return encode(table, column, decode(column.kind, row[i]!));
        } catch (error) {
          if (!(error instanceof ValueError)) throw error;
          throw new ValueError(`${table.store}.${table.name}.${column.name} (row ${keyOf(table, row)}): ${error.message}`);
        }
      }),
    );
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical form, for checksums

const TAG: Record<Exclude<ValueKind, 'native'>, number> = { integer: 1, text: 2, bytes: 3, boolean: 4, json: 5, uuid: 6, timestamp: 7 };
const TAG_NULL = 0;
/**
 * A value hashed as it is: of a `native` column (compared within one backend only), or a SQLite value that does
 * not fit its column's kind (SQLite does not enforce types).
 */
const TAG_OTHER = 8;

const asItIs = (raw: RawValue) => ({ tag: TAG_OTHER, bytes: `${typeof raw}:${Buffer.isBuffer(raw) ? raw.toString('hex') : String(raw)}` });

/** The canonical form of a raw value: a tag and its bytes (a string stands for its UTF-8 bytes). */
export function canonical(dialect: Dialect, kind: ValueKind, raw: RawValue): { tag: number; bytes: Buffer | string } {
  if (raw === null) return { tag: TAG_NULL, bytes: '' };
  if (kind === 'native') return asItIs(raw);
  let value: Logical;
  try {
    value = DECODE[dialect](kind, raw);
  } catch (error) {
    if (!(error instanceof ValueError)) throw error;
    return asItIs(raw);
  }
  if (value === null) return { tag: TAG_NULL, bytes: '' };
  const tag = TAG[kind];
  switch (value.kind) {
    case 'integer':
      return { tag, bytes: value.value.toString() };
    case 'bytes':
      return { tag, bytes: value.value };
    case 'boolean':
      return { tag, bytes: value.value ? '1' : '0' };
    case 'json':
      return { tag, bytes: canonicalJson(value.value) };
    case 'uuid':
      return { tag, bytes: value.value.toLowerCase() };
    case 'timestamp':
      return { tag, bytes: String(Math.floor(value.micros / 1000)) };
    case 'text':
      return { tag, bytes: value.value };
    case 'native':
      // Not decoded: a native value is hashed as it is (above).
      return asItIs(raw);
  }
}

function canonicalJson(text: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `invalid:${text}`;
  }
  return JSON.stringify(sortKeys(parsed));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  // Keys sorted as Array.prototype.sort sorts them by default: by UTF-16 code units.
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, sortKeys(item)]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * SQLite's time texts (Piri's `2006-01-02 15:04:05.999999999-07:00`, `CURRENT_TIMESTAMP`'s `YYYY-MM-DD HH:MM:SS`
 * in UTC, the queue's `YYYY-MM-DDTHH:MM:SS.mmmZ`) and our Postgres text, to microseconds. No zone means UTC.
 * Digits below the microsecond are dropped.
 */
export function parseTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone = 'Z'] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const ms = date.getTime();
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.length === 6 ? zone.slice(1, 3) + zone.slice(4) : zone.slice(1);
    offsetMinutes = (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * (zone[0] === '-' ? -1 : 1);
  }
  const micros = fraction === '' ? 0 : Number(fraction.length >= 6 ? fraction.slice(0, 6) : fraction.padEnd(6, '0'));
  return (ms - offsetMinutes * 60_000) * 1000 + micros;
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`, the text Postgres reads back as the same instant. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = micros - ms * 1000;
  return `${new Date(ms).toISOString().slice(0, -1)}${rest < 10 ? '00' : rest < 100 ? '0' : ''}${rest}Z`;
}

/** jsonb's text output (`{"a": 1, "b": [1, 2]}`) without the blanks, numbers and strings left exactly as written. */
export function compactJson(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c !== ' ' && c !== '\n' && c !== '\t' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/** The row's primary key, for messages. */
export function keyOf(table: TableSpec, row: RawRow): string {
  return table.primaryKey
    .map((name) => {
      const value = row[table.columns.findIndex((c) => c.name === name)];
      return `${name}=${describe(value ?? null)}`;
    })
    .join(', ');
}

function describe(raw: RawValue): string {
  if (Buffer.isBuffer(raw)) return `x'${raw.subarray(0, 16).toString('hex')}${raw.length > 16 ? '…' : ''}'`;
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw);
  return String(raw);
}
