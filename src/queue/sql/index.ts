/** The one place that picks a queue driver by dialect. */
import { retryableQueueError } from '../../backend/postgres/errors.ts';
import { storageError } from '../../backend/sqlite/errors.ts';
import type { SqliteStoreConnection, StoreConnection } from '../../backend/types.ts';
import { PostgresSignals, type WakePayload } from '../wakeups/postgres-signals.ts';
import type { QueueSignals } from '../wakeups/signals.ts';
import * as postgres from './postgres.ts';
import * as sqlite from './sqlite.ts';
import type { DedupQueueSql, PlainQueueSql, Synchronous } from './types.ts';

export function plainQueueSql(connection: StoreConnection, signals: QueueSignals): PlainQueueSql {
  return connection.dialect === 'sqlite'
    ? namingFile(sqlite.plainQueueSql(connection), connection)
    : postgres.plainQueueSql(connection, wakePayload(signals));
}

export function dedupQueueSql(connection: StoreConnection, signals: QueueSignals): DedupQueueSql {
  return connection.dialect === 'sqlite'
    ? namingFile(sqlite.dedupQueueSql(connection), connection)
    : abortsAsRetryable(postgres.dedupQueueSql(connection, wakePayload(signals)));
}

/** The Postgres drivers NOTIFY what their writes make receivable, in the format the installation's listener reads. */
function wakePayload(signals: QueueSignals): WakePayload {
  if (signals instanceof PostgresSignals) return signals.payload;
  throw new TypeError('a PostgreSQL store needs the PostgreSQL queue signals');
}

/**
 * The synchronous SQLite driver as the drivers' async interface, with every operation's file-level failure (disk
 * full, I/O error, damaged file, read-only) raised as a PiriDbError naming the store and its file
 * (backend/sqlite/errors.ts); other errors pass unchanged. One settled promise per call and no more: these are the
 * queue's hot paths.
 */
function namingFile<Driver extends object>(driver: Synchronous<Driver>, connection: SqliteStoreConnection): Driver {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, operation] of Object.entries(driver) as [string, (...args: unknown[]) => unknown][]) {
    wrapped[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(operation(...args));
      } catch (error) {
        return Promise.reject(storageError(connection, error));
      }
    };
  }
  return wrapped as Driver;
}

/**
 * The Postgres dedup driver with a transaction the server aborted (deadlock, serialization failure) raised as a
 * RETRYABLE QueueError naming the operation and queue. Its multi-row operations are the ones that can meet another
 * transaction's locks (a batch's keys, an application's own lock on the tables); the plain queue's cannot, and its
 * hot paths stay unwrapped.
 */
function abortsAsRetryable<Driver extends object>(driver: Driver): Driver {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, operation] of Object.entries(driver) as [string, (params: { queue?: string }) => Promise<unknown>][]) {
    wrapped[name] = (params: { queue?: string }) =>
      operation(params).catch((error: unknown) => {
        throw retryableQueueError(params.queue === undefined ? `dedup queue ${name}` : `dedup queue ${params.queue} ${name}`, error);
      });
  }
  return wrapped as Driver;
}
