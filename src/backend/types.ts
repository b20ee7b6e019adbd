import type BetterSqlite3 from 'better-sqlite3';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import type { StoreDefinition } from '../catalog/registry.ts';

/**
 * One open store. The drizzle instance is what applications use; `client` is the raw driver, for the hot
 * paths that run prepared statements (queue claims) and for introspection.
 */
export type StoreConnection = SqliteStoreConnection | PostgresStoreConnection;

export interface SqliteStoreConnection {
  readonly dialect: 'sqlite';
  readonly store: StoreDefinition;
  /** Absolute path of the store's file. */
  readonly file: string;
  readonly client: BetterSqlite3.Database;
  readonly db: BetterSQLite3Database<Record<string, unknown>>;
}

export interface PostgresStoreConnection {
  readonly dialect: 'postgres';
  readonly store: StoreDefinition;
  /** The store's schema; every statement names it, nothing relies on search_path. */
  readonly schema: string;
  /** The installation's one pool, shared by the four stores. */
  readonly client: Sql;
  readonly db: PostgresJsDatabase<Record<string, unknown>>;
}
