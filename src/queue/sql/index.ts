/** The one place that picks a queue driver by dialect. */
import type { StoreConnection } from '../../backend/types.ts';
import * as postgres from './postgres.ts';
import * as sqlite from './sqlite.ts';
import type { DedupQueueSql, PlainQueueSql } from './types.ts';

export function plainQueueSql(connection: StoreConnection): PlainQueueSql {
  return connection.dialect === 'sqlite' ? sqlite.plainQueueSql(connection) : postgres.plainQueueSql(connection);
}

export function dedupQueueSql(connection: StoreConnection): DedupQueueSql {
  return connection.dialect === 'sqlite' ? sqlite.dedupQueueSql(connection) : postgres.dedupQueueSql(connection);
}
