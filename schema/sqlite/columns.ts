/**
 * SQLite column types that keep Piri's declared types (numeric booleans, datetime, JSON, uuid) and its text
 * timestamp formats, while giving the same TypeScript types as the Postgres columns (see row-types.check.ts).
 */
import { customType } from 'drizzle-orm/sqlite-core';

/** GORM bool: declared `numeric`, stored 0/1. */
export const numericBool = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'numeric',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) === 1,
});

/**
 * GORM time.Time: declared `datetime`, stored as UTC text `YYYY-MM-DD HH:MM:SS.mmm+00:00`. Always UTC, so text
 * order is time order, also against `CURRENT_TIMESTAMP` defaults (`YYYY-MM-DD HH:MM:SS`, a prefix of ours).
 * Reads also accept Piri's local-offset form with nanoseconds.
 */
export const datetime = customType<{ data: Date; driverData: string }>({
  dataType: () => 'datetime',
  toDriver: (value) => formatSqliteTime(value),
  fromDriver: (value) => parseSqliteTime(value),
});

/** GORM datatypes.JSON: declared `JSON`, stored as text. */
export const json = customType<{ data: unknown; driverData: string }>({
  dataType: () => 'JSON',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => JSON.parse(value) as unknown,
});

/** GORM `type:uuid`: declared `uuid`, stored as text. */
export const uuid = customType<{ data: string; driverData: string }>({
  dataType: () => 'uuid',
});

/**
 * The plain queue's text timestamps: fixed-width UTC `YYYY-MM-DDTHH:MM:SS.mmmZ`, compared as text by the
 * queue's SQL, so the width and zone must never vary.
 */
export const queueTime = customType<{ data: Date; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => value.toISOString(),
  fromDriver: (value) => new Date(value),
});

/** The datetime column's text form. */
export function formatSqliteTime(value: Date): string {
  return `${value.toISOString().slice(0, 23).replace('T', ' ')}+00:00`;
}

/** Reads ours, `CURRENT_TIMESTAMP` defaults and Piri's local-offset nanosecond form. */
export function parseSqliteTime(value: string): Date {
  // `2006-01-02 15:04:05.999999999-07:00`, `2006-01-02 15:04:05`: make it ISO, default zone UTC.
  const iso = value.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1');
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
}
