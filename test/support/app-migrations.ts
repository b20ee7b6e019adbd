/**
 * An application beside piri-db with its own drizzle-kit migrations, applied by drizzle's migrate() with its default
 * journal (drizzle.__drizzle_migrations; on SQLite __drizzle_migrations in the store file it adds its tables to).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle as drizzleSqlite } from 'drizzle-orm/better-sqlite3';
import { migrate as migrateSqliteApp } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgresApp } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import type { Config } from '../../src/config/load.ts';
import { type Dialect, STORES } from '../../src/catalog/registry.ts';
import { tempDir } from './installations.ts';

/** On SQLite the application adds its tables to this store's file. */
export const APP_STORE = STORES.find((s) => s.name === 'replicator')!;

/**
 * An application with its own drizzle-kit migrations, applied by drizzle's migrate() with its default journal.
 * `count` migrations of the app's are shipped: a later release adds the second.
 */
export function appMigrations(backend: Dialect, count: 1 | 2): string {
  const folder = join(tempDir('piri-db-app-'), 'drizzle');
  mkdirSync(join(folder, 'meta'), { recursive: true });
  const id = backend === 'postgres' ? 'serial PRIMARY KEY' : 'integer PRIMARY KEY';
  const sqlFiles = [
    `CREATE TABLE app_notes (id ${id}, body text NOT NULL);`,
    'ALTER TABLE app_notes ADD COLUMN author text;',
  ].slice(0, count);
  const entries = sqlFiles.map((text, idx) => {
    const tag = `000${idx}_app`;
    writeFileSync(join(folder, `${tag}.sql`), text);
    return { idx, version: backend === 'postgres' ? '7' : '6', when: 1_700_000_000_000 + idx * 1000, tag, breakpoints: true };
  });
  writeFileSync(
    join(folder, 'meta', '_journal.json'),
    JSON.stringify({ version: '7', dialect: backend === 'postgres' ? 'postgresql' : 'sqlite', entries }),
  );
  return folder;
}

export async function bootApp(config: Config, migrationsFolder: string): Promise<void> {
  if (config.database.type === 'postgres') {
    const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
    try {
      await migratePostgresApp(drizzlePostgres(sql), { migrationsFolder });
    } finally {
      await sql.end();
    }
    return;
  }
  const file = join(config.dataDir, APP_STORE.sqlitePath);
  mkdirSync(join(file, '..'), { recursive: true });
  const client = new Database(file);
  try {
    migrateSqliteApp(drizzleSqlite(client), { migrationsFolder });
  } finally {
    client.close();
  }
}

/** Runs one statement of an application on a SQLite connection: its rows for a query, none otherwise. */
export function runSqliteStatement(db: Database.Database, text: string): Record<string, unknown>[] {
  const statement = db.prepare(text);
  if (statement.reader) return statement.all() as Record<string, unknown>[];
  statement.run();
  return [];
}
