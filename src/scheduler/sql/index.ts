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

export function schedulerSql(store: Store<'scheduler'> | StoreConnection): SchedulerSql {
  const connection = 'connection' in store ? store.connection : store;
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
