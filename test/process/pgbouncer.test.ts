/**
 * piri-db through a real PgBouncer in transaction pooling mode, the usual managed-PostgreSQL setup: consecutive
 * transactions of one client may run on different server connections, so nothing may rely on session state (a
 * session advisory lock, a SET, LISTEN, a named prepared statement reused across transactions).
 */
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { createDatabase, rawPostgres, tempDir } from '../support/installations.ts';
import { type PgBouncer, startPgBouncer } from '../support/pgbouncer.ts';

let bouncer: PgBouncer;
beforeAll(async () => {
  bouncer = await startPgBouncer(inject('postgresUrl'), 3);
});
afterAll(async () => {
  await bouncer?.stop();
});

/** A fresh database reached through PgBouncer; `directUrl` set when the test gives the runtime a direct connection. */
async function bouncedConfig(direct: boolean): Promise<{ config: Config; serverUrl: string }> {
  const serverUrl = await createDatabase();
  const postgres = { url: bouncer.url(serverUrl), ...(direct ? { directUrl: serverUrl } : {}) };
  return { config: loadConfig({ env: {}, dataDir: tempDir(), database: { type: 'postgres', postgres } }), serverUrl };
}

describe('PostgreSQL through PgBouncer (transaction pooling)', () => {
  it('4 concurrent first boots of one database all succeed, and leave no lock behind', async () => {
    const { config, serverUrl } = await bouncedConfig(false);
    const children = Array.from({ length: 4 }, () => spawnFixture('boot.ts', config));
    const sql = rawPostgres(serverUrl);
    try {
      const results = await Promise.all(children.map((child) => Promise.race([child.next('open'), child.next('error')])));
      await Promise.all(children.map((child) => child.exit));
      for (const result of results) expect(result).toMatchObject({ event: 'open', backend: 'postgres' });
      // Advisory locks are per database: this one's, whoever holds them.
      const locks = await sql`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      expect(locks).toEqual([]);
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      await sql.end();
    }
  }, 120_000);
});
