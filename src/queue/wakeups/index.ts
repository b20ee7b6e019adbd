/** The one place that picks an installation's queue signals by backend. */
import type { StoreConnection } from '../../backend/types.ts';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config/load.ts';
import { PostgresSignals } from './postgres-signals.ts';
import { LocalSignals, type QueueSignals } from './signals.ts';

/**
 * In-process on SQLite; NOTIFY and one LISTEN connection on PostgreSQL, opened only once a worker pool watches a
 * queue (status, copy and senders open none). `connection` is any store's: on PostgreSQL they share the pool.
 */
export function installationSignals(config: Config, connection: StoreConnection, clock: Clock): QueueSignals {
  if (connection.dialect === 'postgres' && config.database.type === 'postgres') {
    return new PostgresSignals(config.database.postgres.url, connection.client, clock);
  }
  return new LocalSignals(clock);
}
