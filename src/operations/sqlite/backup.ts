/**
 * An online backup of one SQLite store file, safe beside a running instance: SQLite's backup API (not a file
 * copy, which could catch a WAL database half-checkpointed), from a read-only connection, all pages in ONE
 * step, i.e. under one read transaction: a consistent copy that a concurrent writer cannot make restart.
 * The copy is switched to journal_mode DELETE, so it is one self-contained file, then checked.
 */
import Database from 'better-sqlite3';
import { columnValues } from '../../backend/sqlite/rows.ts';
import { OperationError } from '../../errors.ts';
import type { SqliteStoreConnection } from '../../backend/types.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import { appTableNames } from '../catalog.ts';
import { integrityProblems } from './target.ts';
import * as q from './sql.ts';

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

/**
 * Drops the application's tables from a backup copy (with their indexes and triggers), overwriting their rows
 * (secure_delete) so that nothing of them stays in the file. Returns their names.
 */
export function dropAppTables(file: string, store: StoreDefinition): string[] {
  const copy = new Database(file);
  try {
    const names = appTableNames(store, columnValues<string>(copy.prepare(q.TABLE_NAMES)));
    if (names.length === 0) return names;
    copy.pragma('secure_delete = ON');
    // Dropping a table that others of the application reference must not touch their rows or fail.
    copy.pragma('foreign_keys = OFF');
    copy.transaction(() => {
      for (const name of names) copy.exec(`DROP TABLE ${q.quote(name)}`);
    })();
    return names;
  } finally {
    copy.close();
  }
}
