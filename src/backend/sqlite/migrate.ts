/**
 * Applies a store's pending migrations, each in its own BEGIN IMMEDIATE transaction.
 *
 * Foreign keys are switched off around the migrations, outside any transaction (SQLite ignores the pragma
 * inside one): drizzle-kit's table rebuilds DROP the old table, which with foreign keys on would fire
 * ON DELETE CASCADE and delete child rows. Each migration then has to pass foreign_key_check before it commits.
 */
import { assertTriggers, migrationFailed, planMigrations, type AppliedMigration, type MigrationPlan } from '../migrations.ts';
import type { SqliteStoreConnection } from '../types.ts';
import type { SqliteStoreFile } from './file.ts';

const JOURNAL = '__drizzle_migrations';

export function readSqliteJournal(conn: SqliteStoreFile): AppliedMigration[] {
  const exists = conn.client.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(JOURNAL);
  if (!exists) return [];
  return conn.client
    .prepare(`SELECT hash, created_at AS createdAt FROM ${JOURNAL} ORDER BY created_at`)
    .all() as AppliedMigration[];
}

/** Reads the plan without changing anything; throws when the file was written by a newer build. */
export function planSqlite(conn: SqliteStoreFile): MigrationPlan {
  return planMigrations('sqlite', conn.store, readSqliteJournal(conn));
}

export function migrateSqlite(conn: SqliteStoreConnection, plan: MigrationPlan): void {
  const { client, store } = conn;
  client.exec(`CREATE TABLE IF NOT EXISTS ${JOURNAL} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  const record = client.prepare(`INSERT INTO ${JOURNAL} (hash, created_at) VALUES (?, ?)`);
  client.pragma('foreign_keys = OFF');
  try {
    for (const migration of plan.pending) {
      const apply = client.transaction(() => {
        for (const statement of migration.statements) client.exec(statement);
        const violations = client.pragma('foreign_key_check') as unknown[];
        if (violations.length > 0) {
          throw new Error(`foreign_key_check found ${violations.length} violation(s): ${JSON.stringify(violations.slice(0, 3))}`);
        }
        record.run(migration.hash, migration.createdAt);
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

export function sqliteTriggers(conn: SqliteStoreConnection): string[] {
  return (conn.client.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger'`).all() as { name: string }[]).map(
    (r) => r.name,
  );
}
