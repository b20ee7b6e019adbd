import { describe, expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import { STORES } from '../../src/stores/registry.ts';
import { spawnFixture } from '../support/child.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';

describe('several processes booting one fresh PostgreSQL at once', () => {
  it('all succeed and every migration is applied exactly once', async () => {
    const base = await freshConfig('postgres');
    if (base.database.type !== 'postgres') throw new Error('unreachable');
    // A pool of one: the migration lock and the migrations must share the connection without deadlocking.
    const config = { ...base, database: { ...base.database, postgres: { ...base.database.postgres, maxOpenConns: 1 } } };
    const children = Array.from({ length: 4 }, () => spawnFixture('boot.ts', config));
    const results = await Promise.all(children.map((c) => c.exit));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: '' });

    const sql = rawPostgres(config.database.postgres.url);
    for (const store of STORES) {
      const rows = await sql.unsafe<{ created_at: string; n: string }[]>(
        `SELECT created_at, count(*) AS n FROM drizzle.__migrations_${store.name} GROUP BY created_at ORDER BY created_at`,
      );
      expect(rows.map((r) => [Number(r.created_at), Number(r.n)])).toEqual(
        shippedMigrations('postgres', store).map((m) => [m.createdAt, 1]),
      );
    }
  });
});
