/**
 * The one place that picks the scheduler SQL implementation for a store. One instance per connection, so
 * everything in the process that asks for the scheduler's SQL shares it (and, on SQLite, its mutex).
 */
import type { StoreConnection } from '../../backend/types.ts';
import type { Store } from '../../stores/open.ts';
import { PostgresSchedulerSql } from './postgres.ts';
import { SqliteSchedulerSql } from './sqlite.ts';
import type { SchedulerSql } from './types.ts';

export type * from './types.ts';

const instances = new WeakMap<StoreConnection, SchedulerSql>();

/**
 * What the task engine, retention and the PDP flows run on: the scheduler store from openDatabases, or its SQL layer
 * itself (how tests wrap it to inject faults).
 */
export type SchedulerSource = Store<'scheduler'> | SchedulerSql;

export function schedulerSql(source: SchedulerSource | StoreConnection): SchedulerSql {
  if ('transaction' in source) return source;
  const connection = 'connection' in source ? source.connection : source;
  if (connection.store.name !== 'scheduler') {
    throw new Error(`schedulerSql needs the scheduler store, got ${connection.store.name}`);
  }
  let sql = instances.get(connection);
  if (!sql) {
    sql = connection.dialect === 'sqlite' ? new SqliteSchedulerSql(connection) : new PostgresSchedulerSql(connection);
    instances.set(connection, sql);
  }
  return sql;
}
