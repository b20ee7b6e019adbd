/**
 * SQLite has one writer per installation. A second process that opens the same data dir for writing must be
 * refused at open, not fail later with "database is locked" in the middle of a job.
 *
 * The lock is an exclusive SQLite transaction held open on a small lock file for the life of the instance.
 * SQLite takes it with fcntl locks, which the kernel releases when the process dies, so a crash never leaves
 * a stale lock behind (unlike a PID file). Readers of the store files are unaffected: they never touch it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLockedError, PiriDbError } from '../../errors.ts';
import { errorCode, errorMessage } from '../../narrow.ts';
import { unwritable } from './errors.ts';

export const WRITER_LOCK_FILE = 'piri-db.lock';

export interface WriterLock {
  release(): void;
}

export function acquireWriterLock(dataDir: string): WriterLock {
  const file = join(dataDir, WRITER_LOCK_FILE);
  let lock: Database.Database | undefined;
  try {
    mkdirSync(dataDir, { recursive: true });
    lock = new Database(file);
    lock.pragma('busy_timeout = 0');
    lock.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    lock?.close();
    if (errorCode(error) === 'SQLITE_BUSY') {
      throw new DataDirLockedError(
        `data dir ${dataDir} is in use by another piri-db instance (lock ${file} is held); ` +
          'SQLite allows one writer per installation: stop the other instance, or use PostgreSQL to share state',
      );
    }
    // A data dir that cannot be created or written (read-only mount, permissions): name the file, not just errno.
    const hint = unwritable(file);
    throw new PiriDbError('OPEN_FAILED', `cannot take the writer lock ${file}: ${errorMessage(error)}${hint ? `; ${hint}` : ''}`, {
      cause: error,
    });
  }
  const held = lock;
  return {
    release() {
      held.exec('ROLLBACK');
      held.close();
    },
  };
}
