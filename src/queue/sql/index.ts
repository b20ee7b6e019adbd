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
    ? plainNamingFile(sqlite.plainQueueSql(connection), connection)
    : postgres.plainQueueSql(connection, wakePayload(signals));
}

export function dedupQueueSql(connection: StoreConnection, signals: QueueSignals): DedupQueueSql {
  return connection.dialect === 'sqlite'
    ? dedupNamingFile(sqlite.dedupQueueSql(connection), connection)
    : abortsAsRetryable(postgres.dedupQueueSql(connection, wakePayload(signals)));
}

/** The Postgres drivers NOTIFY what their writes make receivable, in the format the installation's listener reads. */
function wakePayload(signals: QueueSignals): WakePayload {
  if (signals instanceof PostgresSignals) return signals.payload;
  throw new TypeError('a PostgreSQL store needs the PostgreSQL queue signals');
}

/**
 * A synchronous SQLite operation as the drivers' async interface, with its file-level failure (disk full, I/O error,
 * damaged file, read-only) raised as a PiriDbError naming the store and its file (backend/sqlite/errors.ts); other
 * errors pass unchanged. One settled promise per call and no more: these are the queue's hot paths.
 */
function namingFile(connection: SqliteStoreConnection) {
  return <Params, Result>(operation: (params: Params) => Result) =>
    (params: Params): Promise<Result> => {
      try {
        return Promise.resolve(operation(params));
      } catch (error) {
        return Promise.reject(storageError(connection, error));
      }
    };
}

/** The synchronous SQLite plain-queue driver, every operation wrapped by namingFile. */
function plainNamingFile(driver: Synchronous<PlainQueueSql>, connection: SqliteStoreConnection): PlainQueueSql {
  const wrap = namingFile(connection);
  return {
    send: wrap(driver.send),
    sendMany: wrap(driver.sendMany),
    claim: wrap(driver.claim),
    extend: wrap(driver.extend),
    deleteMany: wrap(driver.deleteMany),
    release: wrap(driver.release),
    deadLetter: wrap(driver.deadLetter),
    sweepExhausted: wrap(driver.sweepExhausted),
    listDead: wrap(driver.listDead),
    requeueDead: wrap(driver.requeueDead),
    purgeDead: wrap(driver.purgeDead),
    stats: wrap(driver.stats),
  };
}

/** The synchronous SQLite dedup-queue driver, every operation wrapped by namingFile. */
function dedupNamingFile(driver: Synchronous<DedupQueueSql>, connection: SqliteStoreConnection): DedupQueueSql {
  const wrap = namingFile(connection);
  return {
    registerQueue: wrap(driver.registerQueue),
    namespace: wrap(driver.namespace),
    send: wrap(driver.send),
    sendMany: wrap(driver.sendMany),
    claim: wrap(driver.claim),
    extend: wrap(driver.extend),
    deleteMany: wrap(driver.deleteMany),
    release: wrap(driver.release),
    deadLetter: wrap(driver.deadLetter),
    sweepExhausted: wrap(driver.sweepExhausted),
    listDead: wrap(driver.listDead),
    requeueDead: wrap(driver.requeueDead),
    purgeDead: wrap(driver.purgeDead),
    stats: wrap(driver.stats),
  };
}

/**
 * The Postgres dedup driver with a transaction the server aborted (deadlock, serialization failure) raised as a
 * RETRYABLE QueueError naming the operation and queue. Its multi-row operations are the ones that can meet another
 * transaction's locks (a batch's keys, an application's own lock on the tables); the plain queue's cannot, and its
 * hot paths stay unwrapped.
 */
function abortsAsRetryable(driver: DedupQueueSql): DedupQueueSql {
  const wrap =
    <Params extends { readonly queue?: string }, Result>(name: string, operation: (params: Params) => Promise<Result>) =>
    (params: Params): Promise<Result> =>
      operation(params).catch((error: unknown) => {
        throw retryableQueueError(params.queue === undefined ? `dedup queue ${name}` : `dedup queue ${params.queue} ${name}`, error);
      });
  return {
    registerQueue: wrap('registerQueue', driver.registerQueue),
    namespace: wrap('namespace', driver.namespace),
    send: wrap('send', driver.send),
    sendMany: wrap('sendMany', driver.sendMany),
    claim: wrap('claim', driver.claim),
    extend: wrap('extend', driver.extend),
    deleteMany: wrap('deleteMany', driver.deleteMany),
    release: wrap('release', driver.release),
    deadLetter: wrap('deadLetter', driver.deadLetter),
    sweepExhausted: wrap('sweepExhausted', driver.sweepExhausted),
    listDead: wrap('listDead', driver.listDead),
    requeueDead: wrap('requeueDead', driver.requeueDead),
    purgeDead: wrap('purgeDead', driver.purgeDead),
    stats: wrap('stats', driver.stats),
  };
}
