import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import type { Config } from '../../src/config/load.ts';
import { ConfigError, MigrationError } from '../../src/errors.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { spawnFixture } from '../support/child.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';
import { rewindToLegacyJournals } from '../support/legacy-journal.ts';

type PostgresInstallation = Config & { database: { type: 'postgres' } };

/** A fresh Postgres installation whose pool is `maxOpenConns` connections. */
async function freshPostgres(maxOpenConns = 5): Promise<PostgresInstallation> {
  const base = await freshConfig('postgres');
  if (base.database.type !== 'postgres') throw new Error('unreachable');
  return withPool(base as PostgresInstallation, maxOpenConns);
}

function withPool(config: PostgresInstallation, maxOpenConns: number): PostgresInstallation {
  return { ...config, database: { ...config.database, postgres: { ...config.database.postgres, maxOpenConns } } };
}

async function expectEachMigrationOnce(url: string): Promise<void> {
  const sql = rawPostgres(url);
  for (const store of STORES) {
    const rows = await sql.unsafe<{ created_at: string; n: string }[]>(
      `SELECT created_at, count(*) AS n FROM piri_db.migrations_${store.name} GROUP BY created_at ORDER BY created_at`,
    );
    expect(rows.map((r) => [Number(r.created_at), Number(r.n)])).toEqual(
      shippedMigrations('postgres', store).map((m) => [m.createdAt, 1]),
    );
  }
}

/** The migration lock's keys (src/backend/postgres/migrate.ts): 'piri' and 'migr' as int4. */
const LOCK_KEYS = [0x70697269, 0x6d696772] as const;

describe('several processes booting one fresh PostgreSQL at once', () => {
  it('all succeed and every migration is applied exactly once', async () => {
    // A pool of one: the migration lock and the migrations must share the connection without deadlocking.
    const config = await freshPostgres(1);
    const results = await Promise.all(Array.from({ length: 4 }, () => spawnFixture('boot.ts', config).exit));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    await expectEachMigrationOnce(config.database.postgres.url);
  });

  it('all succeed on an installation whose journals an earlier build kept in drizzle, and move them once', async () => {
    const config = await freshPostgres(1);
    await (await openDatabases(config)).close();
    await rewindToLegacyJournals(config);
    const results = await Promise.all(Array.from({ length: 4 }, () => spawnFixture('boot.ts', config).exit));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });
    await expectEachMigrationOnce(config.database.postgres.url);
    const sql = rawPostgres(config.database.postgres.url);
    expect(await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'drizzle'`).toHaveLength(0);
  });

  // The waits for the migration lock inherited these (1 and 2 boots of 6 succeeded); the migration transaction now
  // sets its own (SET LOCAL).
  // The test holds the lock until every boot waits for it (or has given up), so each wait outlasts the timeout.
  it.each(["lock_timeout = '100ms'", "statement_timeout = '250ms'"])(
    'all succeed under a database default of %s',
    async (setting) => {
      const config = await freshPostgres();
      const { url } = config.database.postgres;
      const sql = rawPostgres(url);
      const database = new URL(url).pathname.slice(1);
      await sql.unsafe(`ALTER DATABASE "${database}" SET ${setting}`);
      const holder = await sql.reserve();
      await holder`SELECT pg_advisory_lock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
      const children = Array.from({ length: 6 }, () => spawnFixture('boot.ts', config));
      let exited = 0;
      for (const child of children) void child.exit.then(() => exited++);
      while ((await lockWaiters(sql, database)) + exited < children.length) await sleep(50);
      await holder`SELECT pg_advisory_unlock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
      holder.release();
      for (const r of await Promise.all(children.map((c) => c.exit))) expect(r).toMatchObject({ code: 0, stderr: '' });
      await expectEachMigrationOnce(url);
      // The pool's one connection, the migration session's, is back under the database's settings.
      const dbs = await openDatabases(withPool(config, 1));
      try {
        const client = dbs.replicator.connection.client as ReturnType<typeof rawPostgres>;
        const [name, value] = setting.split(' = ') as [string, string];
        const [shown] = await client.unsafe<Record<string, string>[]>(`SHOW ${name}`);
        expect(`'${shown![name]}'`).toBe(value);
      } finally {
        await dbs.close();
      }
    },
  );
});

/** Sessions of `database` waiting for the migration lock. */
async function lockWaiters(sql: ReturnType<typeof rawPostgres>, database: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = ${database}
      AND l.classid = ${LOCK_KEYS[0]} AND l.objid = ${LOCK_KEYS[1]} AND l.objsubid = 2`;
  return row!.n;
}

describe('the wait for another process holding the migration lock', () => {
  it('ends after migrationLockWaitMs with a MigrationError naming the holder, and nothing changed', async () => {
    const config = await freshPostgres();
    const holder = await rawPostgres(config.database.postgres.url).reserve();
    try {
      const [{ pid }] = (await holder<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
      await holder`SELECT pg_advisory_lock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
      const error = await openDatabases(config, { migrationLockWaitMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MigrationError);
      expect((error as MigrationError).code).toBe('MIGRATION_LOCK_TIMEOUT');
      expect((error as Error).message).toMatch(
        new RegExp(`^waited 300ms for the migration lock, held by server process ${pid} \\(.*\\); nothing was changed\\. `),
      );
      const [{ n }] = (await holder<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'piri_db'`) as unknown as [{ n: number }];
      expect(n).toBe(0);
    } finally {
      await holder`SELECT pg_advisory_unlock_all()`;
      holder.release();
    }
    await (await openDatabases(config, { migrationLockWaitMs: 300 })).close();
    await expectEachMigrationOnce(config.database.postgres.url);
  });

  it.each([0, 1.5, 2 ** 31, Number.NaN])('refuses migrationLockWaitMs %s before anything is opened', async (ms) => {
    const config = await freshPostgres();
    await expect(openDatabases(config, { migrationLockWaitMs: ms })).rejects.toThrow(ConfigError);
  });
});
