/** The one place that picks a queue driver by dialect. */
import { storageError } from '../../backend/sqlite/errors.ts';
import type { SqliteStoreConnection, StoreConnection } from '../../backend/types.ts';
import * as postgres from './postgres.ts';
import * as sqlite from './sqlite.ts';
import type { DedupQueueSql, PlainQueueSql } from './types.ts';

export function plainQueueSql(connection: StoreConnection): PlainQueueSql {
  return connection.dialect === 'sqlite' ? namingFile(sqlite.plainQueueSql(connection), connection) : postgres.plainQueueSql(connection);
}

export function dedupQueueSql(connection: StoreConnection): DedupQueueSql {
  return connection.dialect === 'sqlite' ? namingFile(sqlite.dedupQueueSql(connection), connection) : postgres.dedupQueueSql(connection);
}

/**
 * The driver with every operation's file-level failure (disk full, I/O error, damaged file, read-only) raised as a
 * PiriDbError naming the store and its file (backend/sqlite/errors.ts); other errors pass unchanged. Every driver
 * operation is an async function, so a synchronous better-sqlite3 throw arrives here as a rejection.
 */
function namingFile<T extends object>(driver: T, connection: SqliteStoreConnection): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, operation] of Object.entries(driver) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    // One extra promise per call on the success path, nothing more: the queue's hot paths stay as they were.
    wrapped[name] = (...args: unknown[]) =>
      operation(...args).catch((error: unknown) => {
        throw storageError(connection, error);
      });
  }
  return wrapped as T;
}
