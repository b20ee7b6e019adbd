import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import type { Config } from '../../src/config/load.ts';
import { MigrationError } from '../../src/errors.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { installationStatus } from '../../src/stores/status.ts';
import { forEachBackend, freshConfig, rawPostgres } from '../support/installations.ts';

const replicator = STORES.find((s) => s.name === 'replicator')!;
const FUTURE = Date.UTC(2099, 0, 1);

/** Runs SQL against a store of an installation without going through piri-db. */
async function rawExec(config: Config, store: string, statement: string): Promise<void> {
  if (config.database.type === 'postgres') {
    await rawPostgres(config.database.postgres.url).unsafe(statement);
    return;
  }
  const file = join(config.dataDir, STORES.find((s) => s.name === store)!.sqlitePath);
  mkdirSync(join(file, '..'), { recursive: true });
  const db = new Database(file);
  db.exec(statement);
  db.close();
}

async function rawCount(config: Config, store: string, query: string): Promise<number> {
  if (config.database.type === 'postgres') {
    const [row] = await rawPostgres(config.database.postgres.url).unsafe<{ n: string }[]>(query);
    return Number(row!.n);
  }
  const db = new Database(join(config.dataDir, STORES.find((s) => s.name === store)!.sqlitePath), { readonly: true });
  try {
    return (db.prepare(query).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const journal = (config: Config, store: string) =>
  config.database.type === 'postgres' ? `piri_db.migrations_${store}` : '__piri_db_migrations';

forEachBackend('migrations', (backend) => {
  it('refuses a database written by a newer build before changing anything', async () => {
    const config = await freshConfig(backend);
    await (await openDatabases(config)).close();
    await rawExec(config, 'replicator', `INSERT INTO ${journal(config, 'replicator')} (hash, created_at) VALUES ('future', ${FUTURE})`);
    // Make aggregator's last migration pending again: the refused boot must not apply it.
    const last = shippedMigrations(backend, STORES.find((s) => s.name === 'aggregator')!).at(-1)!;
    await rawExec(config, 'aggregator', `DELETE FROM ${journal(config, 'aggregator')} WHERE created_at = ${last.createdAt}`);

    const error = await openDatabases(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('DATABASE_TOO_NEW');
    expect((error as Error).message).toMatch(/store replicator holds 1 migration\(s\) this build does not know/);
    expect((error as Error).message).toContain(shippedMigrations(backend, replicator).at(-1)!.tag);
    expect(await rawCount(config, 'aggregator', `SELECT count(*) AS n FROM ${journal(config, 'aggregator')}`)).toBe(
      shippedMigrations(backend, STORES.find((s) => s.name === 'aggregator')!).length - 1,
    );
    await expect(installationStatus(config)).rejects.toThrow(/newer piri-db/);
  });

  it('rolls back a failing migration and names the store and the migration', async () => {
    const config = await freshConfig(backend);
    // An object in the way of replicator's first migration.
    await rawExec(
      config,
      'replicator',
      backend === 'postgres' ? 'CREATE SCHEMA replicator; CREATE TABLE replicator.jobqueue_dead (x int)' : 'CREATE TABLE jobqueue_dead (x int)',
    );
    const error = await openDatabases(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    const first = shippedMigrations(backend, replicator)[0]!.tag;
    expect((error as Error).message).toMatch(new RegExp(`store replicator: migration ${first} failed and was rolled back: .*exists`));

    // Rolled back: the migration's other tables are not there and it is still pending.
    const status = await installationStatus(config);
    const store = status.stores.find((s) => s.store === 'replicator')!;
    expect(store.appliedMigrations).toEqual([]);
    expect(store.tables.map((t) => t.name)).toEqual(['jobqueue_dead']);
    // The installation is not recorded as set up (on SQLite its files alone say which backend it is).
    expect(status.recorded?.source).not.toBe('marker');
    expect(readdirSync(config.dataDir)).not.toContain('piri-db.json');
  });
});
