/**
 * Fresh installations for tests, on either backend: a new temp data dir, and on Postgres a new database on
 * the run's server. Nothing is shared between tests, so every test starts from "never set up".
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, inject } from 'vitest';
import { type Config, loadConfig } from '../../src/config/load.ts';
import type { Dialect } from '../../src/catalog/registry.ts';

export const BACKENDS: readonly Dialect[] = ['sqlite', 'postgres'];

export function tempDir(prefix = 'piri-db-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The server's URL with another database name. */
export function databaseUrl(name: string): string {
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

const admin = () => postgres(inject('postgresUrl'), { max: 1, onnotice: () => {} });

export async function createDatabase(): Promise<string> {
  const name = `piri_test_${randomBytes(6).toString('hex')}`;
  const sql = admin();
  try {
    await sql.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await sql.end();
  }
  return databaseUrl(name);
}

/** A config for a brand-new installation on `backend`. */
export async function freshConfig(backend: Dialect, dataDir = tempDir()): Promise<Config> {
  if (backend === 'sqlite') return loadConfig({ env: {}, dataDir });
  return loadConfig({ env: {}, dataDir, database: { type: 'postgres', postgres: { url: await createDatabase() } } });
}

/** describe.each over both backends; the title carries the backend so a failure names it. */
export function forEachBackend(title: string, body: (backend: Dialect) => void): void {
  describe.each(BACKENDS)(`${title} [%s]`, (backend) => body(backend));
}

/** Runs `body` on a connection of its own to a Postgres installation's database, closed afterwards. */
export async function withSql<T>(config: Config, body: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  if (config.database.type !== 'postgres') throw new Error('not postgres');
  const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
  try {
    return await body(sql);
  } finally {
    await sql.end();
  }
}

/** A raw connection to an installation's Postgres database, for introspection; closed after the file. */
export function rawPostgres(url: string): postgres.Sql {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  afterAll(() => sql.end());
  return sql;
}
