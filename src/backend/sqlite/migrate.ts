/**
 * Applies a store's pending migrations, each in its own BEGIN IMMEDIATE transaction.
 *
 * Foreign keys are switched off around the migrations, outside any transaction (SQLite ignores the pragma
 * inside one): drizzle-kit's table rebuilds DROP the old table, which with foreign keys on would fire
 * ON DELETE CASCADE and delete child rows. Each migration then has to pass foreign_key_check before it commits.
 *
 * The journal is `__piri_db_migrations`. Earlier builds kept it in drizzle's default `__drizzle_migrations`, which
 * an application running drizzle's own migrator in the same file also uses; the first boot of this build moves
 * piri-db's rows out of it (ensureJournal) and leaves the application's.
 */
import type Database from 'better-sqlite3';
import {
  assertTriggers,
  migrationFailed,
  planMigrations,
  shippedMigrations,
  type AppliedMigration,
  type Migration,
  type MigrationPlan,
} from '../migrations.ts';
import type { SqliteStoreFile } from './file.ts';
import { allRows, columnValues, pragmaRows } from './rows.ts';

export const SQLITE_JOURNAL = '__piri_db_migrations';
const LEGACY_JOURNAL = '__drizzle_migrations';

/** Until the first boot of this build has moved them, piri-db's rows are read where earlier builds wrote them. */
export function readSqliteJournal(conn: SqliteStoreFile): AppliedMigration[] {
  if (hasTable(conn, SQLITE_JOURNAL)) {
    return allRows<AppliedMigration>(
      conn.client.prepare(`SELECT hash, created_at AS createdAt FROM ${SQLITE_JOURNAL} ORDER BY created_at`),
    );
  }
  return legacyRows(conn);
}

/**
 * piri-db's rows in the legacy journal: those naming one of this store's shipped migrations by its timestamp, which
 * identifies a migration everywhere else too (planMigrations). Any other row there is an application's (drizzle's
 * migrator in the same file) and is never read or moved.
 */
function legacyRows(conn: SqliteStoreFile): AppliedMigration[] {
  if (!hasTable(conn, LEGACY_JOURNAL)) return [];
  const shipped = new Set(shippedMigrations('sqlite', conn.store).map((m) => m.createdAt));
  const rows = allRows<AppliedMigration>(
    conn.client.prepare(`SELECT hash, created_at AS createdAt FROM ${LEGACY_JOURNAL} ORDER BY created_at`),
  );
  return rows.filter((row) => shipped.has(row.createdAt));
}

/**
 * piri-db's rows are still in the legacy journal, which an application's drizzle migrations may share: until a
 * boot of this build moves them, that table is part application's, part piri-db's journal.
 */
export function keepsLegacyJournal(conn: SqliteStoreFile): boolean {
  return !hasTable(conn, SQLITE_JOURNAL) && legacyRows(conn).length > 0;
}

/**
 * Creates the journal, moving piri-db's rows from the legacy one in the same transaction; the legacy table is
 * dropped only when nothing else is left in it. The caller holds the file's single writer connection.
 */
function ensureJournal(conn: SqliteStoreFile): void {
  if (hasTable(conn, SQLITE_JOURNAL)) return;
  const { client } = conn;
  client
    .transaction(() => {
      createSqliteJournal(client);
      const moved = legacyRows(conn);
      if (moved.length === 0) return;
      const insert = client.prepare(`INSERT INTO ${SQLITE_JOURNAL} (hash, created_at) VALUES (?, ?)`);
      const remove = client.prepare(`DELETE FROM ${LEGACY_JOURNAL} WHERE hash = ? AND created_at = ?`);
      for (const row of moved) {
        insert.run(row.hash, row.createdAt);
        remove.run(row.hash, row.createdAt);
      }
      if (client.prepare(`SELECT count(*) FROM ${LEGACY_JOURNAL}`).pluck().get() === 0) client.exec(`DROP TABLE ${LEGACY_JOURNAL}`);
    })
    .immediate();
}

/** The journal table, in drizzle's shape (id, hash, created_at); a boot that failed may have left it empty. */
export function createSqliteJournal(client: Database.Database): void {
  client.exec(`CREATE TABLE IF NOT EXISTS ${SQLITE_JOURNAL} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
}

/** Records a migration as applied, whether it ran or its effect was found in place (adopt's baseline). */
export function recordSqliteMigration(client: Database.Database, migration: Migration): void {
  client.prepare(`INSERT INTO ${SQLITE_JOURNAL} (hash, created_at) VALUES (?, ?)`).run(migration.hash, migration.createdAt);
}

/** Runs a migration's statements and records it, in the caller's transaction. */
export function runSqliteMigration(client: Database.Database, migration: Migration): void {
  for (const statement of migration.statements) client.exec(statement);
  recordSqliteMigration(client, migration);
}

function hasTable(conn: SqliteStoreFile, name: string): boolean {
  return conn.client.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}

/** Reads the plan without changing anything; throws when the file was written by a newer build. */
export function planSqlite(conn: SqliteStoreFile): MigrationPlan {
  return planMigrations('sqlite', conn.store, readSqliteJournal(conn));
}

export function migrateSqlite(conn: SqliteStoreFile, plan: MigrationPlan): void {
  const { client, store } = conn;
  ensureJournal(conn);
  client.pragma('foreign_keys = OFF');
  try {
    for (const migration of plan.pending) {
      const apply = client.transaction(() => {
        runSqliteMigration(client, migration);
        assertForeignKeys(client);
      });
      try {
        apply.immediate();
      } catch (error) {
        throw migrationFailed(store, migration, error);
      }
    }
  } finally {
    client.pragma('foreign_keys = ON');
  }
  assertTriggers(store, sqliteTriggers(conn));
}

/** Foreign keys are off while migrating (see the top): a migration must leave no row pointing at nothing. */
export function assertForeignKeys(client: Database.Database): void {
  const violations = pragmaRows<unknown>(client, 'foreign_key_check');
  if (violations.length > 0) {
    throw new Error(`foreign_key_check found ${violations.length} violation(s): ${JSON.stringify(violations.slice(0, 3))}`);
  }
}

export function sqliteTriggers(conn: Pick<SqliteStoreFile, 'client'>): string[] {
  return columnValues<string>(conn.client.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`));
}
