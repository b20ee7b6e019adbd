/**
 * SQLite errors that are about a store's FILE rather than about a statement: the disk is full, an I/O error, a
 * damaged file or one that is not a database, a file or directory that cannot be written. better-sqlite3's texts
 * ("database or disk is full") do not say which of the installation's four files failed, and these reach logs far
 * from the call (the worker runtime logs a failed claim or delete and goes on), so they are raised again as a
 * PiriDbError naming the store and its file, the driver's error as the cause. Every other error (a constraint, a
 * busy timeout, a bug) is returned unchanged.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { PiriDbError } from '../../errors.ts';
import { errorCode } from '../../narrow.ts';
import type { SqliteStoreConnection } from '../types.ts';

const FILE_ERRORS = /^SQLITE_(FULL|IOERR|CORRUPT|NOTADB|READONLY|CANTOPEN|PERM)/;

/** The error to raise for `error`, thrown by an operation on `connection`'s file. */
export function storageError({ store, file }: Pick<SqliteStoreConnection, 'store' | 'file'>, error: unknown): unknown {
  if (!(error instanceof Database.SqliteError) || !FILE_ERRORS.test(error.code)) return error;
  const hint = unwritable(file);
  return new PiriDbError('STORAGE_FAILED', `store ${store.name} at ${file}: ${error.message} (${error.code})${hint ? `; ${hint}` : ''}`, {
    cause: error,
  });
}

/**
 * Why the file, or the directory SQLite must create its -wal and -shm files in (or, when that directory does not
 * exist yet, the nearest one that does, where it would be created), cannot be written; undefined when they can (as
 * far as access(2) tells: root passes permission checks, not a read-only mount). SQLite and mkdir report these as
 * "unable to open database file", "attempt to write a readonly database" or even ENOENT, without saying what is
 * read-only.
 */
export function unwritable(file: string): string | undefined {
  let dir = dirname(file);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  for (const path of existsSync(file) ? [dir, file] : [dir]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') continue;
      const why = code === 'EROFS' ? 'read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
      return `${path} is not writable (${why})`;
    }
  }
  return undefined;
}
