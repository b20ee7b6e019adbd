/**
 * PostgreSQL: one database, one schema per store, ONE pool shared by the four stores.
 *
 * Pool settings (Piri's keys, see docs/configuration.md):
 *   max_open_conns    -> postgres-js `max`
 *   conn_max_lifetime -> `max_lifetime` (seconds)
 *   max_idle_conns    -> postgres-js cannot keep "N idle"; with max_idle_conns >= max_open_conns idle
 *                        connections are kept (`idle_timeout: 0`), below that they close after 30 s idle.
 */
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import type { PostgresConfig } from '../../config/load.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { PostgresStoreConnection } from '../types.ts';
import { type PostgresSchemas, postgresSchemas } from './schemas.ts';

const IDLE_CLOSE_SECONDS = 30;

export function openPostgresPool(config: PostgresConfig): Sql {
  return postgres(config.url, {
    max: config.maxOpenConns,
    idle_timeout: config.maxIdleConns >= config.maxOpenConns ? 0 : IDLE_CLOSE_SECONDS,
    max_lifetime: Math.max(1, Math.round(config.connMaxLifetimeMs / 1000)),
    prepare: config.preparedStatements,
    onnotice: () => {},
    connection: { application_name: 'piri-db' },
  });
}

/** A store's connection on the pool; `db` defaults to a drizzle instance made from the store's schema. */
export function postgresStore(
  client: Sql,
  store: StoreDefinition,
  db: PostgresStoreConnection['db'] = postgresDatabase(client, store.name),
): PostgresStoreConnection {
  return { dialect: 'postgres', store, schema: store.pgSchema, client, db };
}

/** Store `name`'s drizzle instance on the pool, typed by the store's schema. */
export function postgresDatabase<K extends keyof PostgresSchemas>(client: Sql, name: K): PostgresJsDatabase<PostgresSchemas[K]> {
  return drizzle(client, { schema: postgresSchemas[name] });
}
