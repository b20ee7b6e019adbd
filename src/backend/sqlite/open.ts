/**
 * SQLite: one file per store under data_dir, one connection per file (the single writer), Piri's pragmas.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { PiriDbError } from '../../errors.ts';
import type { StoreDefinition } from '../../stores/registry.ts';
import type { SqliteStoreConnection } from '../types.ts';
import { unwritable } from './errors.ts';
import { sqliteSchemas } from './schemas.ts';

export const BUSY_TIMEOUT_MS = 5000;

export function sqliteStoreFile(dataDir: string, store: StoreDefinition): string {
  return join(dataDir, store.sqlitePath);
}

/** Opens a store's file for the application: creates directories and the file, WAL, synchronous NORMAL. */
export function openSqliteStore(dataDir: string, store: StoreDefinition): SqliteStoreConnection {
  const file = sqliteStoreFile(dataDir, store);
  return openFile(
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
  return openFile(store, file, () => new Database(file, { readonly: true, fileMustExist: true }));
}

function openFile(
  store: StoreDefinition,
  file: string,
  open: () => Database.Database,
  configure: (client: Database.Database) => void = () => {},
): SqliteStoreConnection {
  let client: Database.Database | undefined;
  try {
    client = open();
    // Set up only once `client` is assigned: a pragma that fails (a file that is not a database, a read-only
    // directory where WAL needs its -shm file) must not leave the connection, and its file handle, open.
    configure(client);
    client.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Load-bearing: the scheduler's state machine relies on ON DELETE SET NULL / CASCADE.
    client.pragma('foreign_keys = ON');
    // Touch the file so a non-database fails here, naming the file, instead of at first use.
    client.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (error) {
    client?.close();
    const hint = unwritable(file);
    throw new PiriDbError('OPEN_FAILED', `cannot open store ${store.name} at ${file}: ${(error as Error).message}${hint ? `; ${hint}` : ''}`, {
      cause: error,
    });
  }
  const schema = sqliteSchemas[store.name];
  return { dialect: 'sqlite', store, file, client, db: drizzle(client, { schema }) };
}
