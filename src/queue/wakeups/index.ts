/** The one place that picks an installation's queue signals by backend. */
import type { StoreConnection } from '../../backend/types.ts';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config/load.ts';
import { PostgresSignals } from './postgres-signals.ts';
import { LocalSignals, type QueueSignals } from './signals.ts';

/**
 * In-process on SQLite; NOTIFY and one LISTEN connection on PostgreSQL, opened only once a worker pool watches a
 * queue (status, copy and senders open none). `connection` is any store's: on PostgreSQL they share the pool. The
 * LISTEN goes to direct_url when there is one: through a transaction-mode pooler it would never hear anything.
 */
export function installationSignals(config: Config, connection: StoreConnection, clock: Clock): QueueSignals {
  if (connection.dialect === 'postgres' && config.database.type === 'postgres') {
    const { url, directUrl } = config.database.postgres;
    return new PostgresSignals(directUrl ?? url, connection.client, clock);
  }
  return new LocalSignals(clock);
}
