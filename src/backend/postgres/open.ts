/**
 * PostgreSQL: one database, one schema per store, ONE pool shared by the four stores.
 *
 * Pool settings (Piri's keys, see docs/configuration.md):
 *   max_open_conns    -> postgres-js `max`
 *   conn_max_lifetime -> `max_lifetime` (seconds)
 *   max_idle_conns    -> postgres-js cannot keep "N idle"; with max_idle_conns >= max_open_conns idle
 *                        connections are kept (`idle_timeout: 0`), below that they close after 30 s idle.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import type { PostgresConfig } from '../../config/load.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { PostgresStoreConnection } from '../types.ts';
import { postgresSchemas } from './schemas.ts';

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

export function postgresStore(client: Sql, store: StoreDefinition): PostgresStoreConnection {
  const schema = postgresSchemas[store.name];
  return { dialect: 'postgres', store, schema: store.pgSchema, client, db: drizzle(client, { schema }) };
}
