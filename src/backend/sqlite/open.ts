/**
 * SQLite: one file per store under data_dir, one connection per file (the single writer), Piri's pragmas.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { SqliteStoreConnection } from '../types.ts';
import { openSqliteFile, type SqliteStoreFile, sqliteStoreFile } from './file.ts';
import { type SqliteSchemas, sqliteSchemas } from './schemas.ts';
import { guardedClient } from './statement-guard.ts';

export { BUSY_TIMEOUT_MS, sqliteStoreFile } from './file.ts';

/** Opens a store's file for the application: creates directories and the file, WAL, synchronous NORMAL. */
export function openSqliteStore(dataDir: string, store: StoreDefinition): SqliteStoreConnection {
  return withDrizzle(openSqliteStoreFile(dataDir, store));
}

/** openSqliteStore without the drizzle instance (sqliteDatabase makes one typed by the store's schema). */
export function openSqliteStoreFile(dataDir: string, store: StoreDefinition): SqliteStoreFile {
  const file = sqliteStoreFile(dataDir, store);
  return openSqliteFile(
    store,
    file,
    () => {
      mkdirSync(dirname(file), { recursive: true });
      return new Database(file);
    },
    (client) => {
      client.pragma('journal_mode = WAL');
      client.pragma('synchronous = NORMAL');
    },
  );
}

/**
 * Opens a store's file for reading beside a running instance (status, backup, doctor). Returns undefined when
 * the file does not exist: a read never creates anything.
 */
export function openSqliteStoreReadOnly(dataDir: string, store: StoreDefinition): SqliteStoreConnection | undefined {
  const file = sqliteStoreFile(dataDir, store);
  if (!existsSync(file)) return undefined;
  return withDrizzle(openSqliteFile(store, file, () => new Database(file, { readonly: true, fileMustExist: true })));
}

function withDrizzle(opened: SqliteStoreFile): SqliteStoreConnection {
  return { ...opened, db: sqliteDatabase(opened.client, opened.store.name) };
}

/** Store `name`'s drizzle instance on its file (statements checked by statement-guard.ts), typed by the store's schema. */
export function sqliteDatabase<K extends keyof SqliteSchemas>(client: Database.Database, name: K): BetterSQLite3Database<SqliteSchemas[K]> {
  return drizzle(guardedClient(client), { schema: sqliteSchemas[name] });
}
