/**
 * Puts an installation's migration journals back where builds before issue #13 kept them, with the DDL those
 * builds used: SQLite `__drizzle_migrations` in each store file, PostgreSQL `drizzle.__migrations_<store>`.
 * Boot the installation with this build first; the rows (and so the schema they describe) are this build's.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import postgres from 'postgres';
import type { Config } from '../../src/config/load.ts';
import { STORES } from '../../src/catalog/registry.ts';

export async function rewindToLegacyJournals(config: Config): Promise<void> {
  if (config.database.type === 'postgres') {
    const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe('CREATE SCHEMA IF NOT EXISTS drizzle');
        for (const store of STORES) {
          await tx.unsafe(
            `CREATE TABLE drizzle.__migrations_${store.name} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
          );
          await tx.unsafe(
            `INSERT INTO drizzle.__migrations_${store.name} (hash, created_at) SELECT hash, created_at FROM piri_db.migrations_${store.name} ORDER BY id`,
          );
        }
        await tx.unsafe('DROP SCHEMA piri_db CASCADE');
      });
    } finally {
      await sql.end();
    }
    return;
  }
  for (const store of STORES) {
    const db = new Database(join(config.dataDir, store.sqlitePath));
    try {
      db.transaction(() => {
        db.exec('CREATE TABLE IF NOT EXISTS __drizzle_migrations (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)');
        db.exec('INSERT INTO __drizzle_migrations (hash, created_at) SELECT hash, created_at FROM __piri_db_migrations ORDER BY id');
        db.exec('DROP TABLE __piri_db_migrations');
      })();
    } finally {
      db.close();
    }
  }
}
