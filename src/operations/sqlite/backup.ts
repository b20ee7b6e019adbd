/**
 * An online backup of one SQLite store file, safe beside a running instance: SQLite's backup API (not a file
 * copy, which could catch a WAL database half-checkpointed), from a read-only connection, all pages in ONE
 * step, i.e. under one read transaction: a consistent copy that a concurrent writer cannot make restart.
 * The copy is switched to journal_mode DELETE, so it is one self-contained file, then checked.
 */
import Database from 'better-sqlite3';
import { OperationError } from '../../errors.ts';
import type { SqliteStoreConnection } from '../../backend/types.ts';
import { integrityProblems } from './target.ts';

/** better-sqlite3 caps a step at 0x7fffffff pages: that is "everything at once". */
const ALL_PAGES = 0x7fffffff;

export async function backupSqliteStore(source: SqliteStoreConnection, destination: string): Promise<void> {
  await source.client.backup(destination, { progress: () => ALL_PAGES });
  const copy = new Database(destination);
  try {
    copy.pragma('journal_mode = DELETE');
    const problems = integrityProblems(copy);
    if (problems.length > 0) {
      throw new OperationError(
        'VERIFY_FAILED',
        `the backup of store ${source.store.name} (${source.file}) fails its checks: ${problems.join('; ')}; ` +
          'the store itself is probably damaged: run `piri-db doctor`',
      );
    }
  } finally {
    copy.close();
  }
}
