/**
 * A store's SQLite file opened with Piri's pragmas, without drizzle: what read-only tools need (status reads it
 * without loading drizzle-orm, a large part of the CLI's start). open.ts adds drizzle for the application.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../narrow.ts';
import { PiriDbError } from '../../errors.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { SqliteStoreConnection } from '../types.ts';
import { unwritable } from './errors.ts';

export const BUSY_TIMEOUT_MS = 5000;

/** A store's open file: a SqliteStoreConnection but for drizzle. */
export type SqliteStoreFile = Omit<SqliteStoreConnection, 'db'>;

export function sqliteStoreFile(dataDir: string, store: StoreDefinition): string {
  return join(dataDir, store.sqlitePath);
}

/**
 * Opens a store's file for reading beside a running instance (status, backup, doctor). Returns undefined when
 * the file does not exist: a read never creates anything.
 */
export function openSqliteFileReadOnly(dataDir: string, store: StoreDefinition): SqliteStoreFile | undefined {
  const file = sqliteStoreFile(dataDir, store);
  if (!existsSync(file)) return undefined;
  return openSqliteFile(store, file, () => new Database(file, { readonly: true, fileMustExist: true }));
}

/** Opens `file` with `open`, then `configure` and Piri's pragmas; a failure names the file and leaves nothing open. */
export function openSqliteFile(
  store: StoreDefinition,
  file: string,
  open: () => Database.Database,
  configure: (client: Database.Database) => void = () => {},
): SqliteStoreFile {
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
    throw new PiriDbError('OPEN_FAILED', `cannot open store ${store.name} at ${file}: ${errorMessage(error)}${hint ? `; ${hint}` : ''}`, {
      cause: error,
    });
  }
  return { dialect: 'sqlite', store, file, client };
}
