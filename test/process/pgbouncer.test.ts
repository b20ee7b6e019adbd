/**
 * piri-db through a real PgBouncer in transaction pooling mode, the usual managed-PostgreSQL setup: consecutive
 * transactions of one client may run on different server connections, so nothing may rely on session state (a
 * session advisory lock, a SET, LISTEN, a named prepared statement reused across transactions). The installations
 * are configured as docs/queues.md says for PgBouncer 1.18 (Debian's): prepared_statements off, and a direct URL
 * where a test wants wake-ups.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { systemClock } from '../../src/clock.ts';
import { PostgresSignals } from '../../src/queue/wakeups/postgres-signals.ts';
import { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { sleep, waitFor } from '../faults/support/wait.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { createDatabase, rawPostgres, tempDir } from '../support/installations.ts';
import { type PgBouncer, startPgBouncer } from '../support/pgbouncer.ts';
import { drained, startWorkers, stopWorkers } from '../support/queue-workers.ts';

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
  const postgres = { url: bouncer.url(serverUrl), preparedStatements: false, ...(direct ? { directUrl: serverUrl } : {}) };
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

  it('10,000 jobs drained by 2 processes run exactly once', async () => {
    const JOBS = 10_000;
    const { config, serverUrl } = await bouncedConfig(false);
    const dbs = await openDatabases(config);
    const children: Child[] = [];
    const sql = rawPostgres(serverUrl);
    try {
      const queue = dbs.replicator.queue('replication');
      for (let first = 0; first < JOBS; first += 1_000) {
        await queue.sendMany(Array.from({ length: 1_000 }, (_, i) => encode('transfer-task', Buffer.from(String(first + i)))));
      }
      const { handled } = await startWorkers(children, config, 2, 4);
      await drained(sql);
      const { exits } = await stopWorkers(children);
      for (const exit of exits) expect(exit).toMatchObject({ code: 0, stderr: '' });

      expect(handled).toHaveLength(JOBS);
      expect(new Set(handled.map((h) => h.seq)).size).toBe(JOBS);
      expect(handled.filter((h) => h.delivery !== 1)).toEqual([]);
      for (const child of children) expect(handled.some((h) => h.pid === child.process.pid)).toBe(true);
      expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0 });
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      await sql.end();
      await dbs.close();
    }
  }, 180_000);

  it('scheduler transactions: 400 tasks added by 8 concurrent callers, each with a row of its own, all land', async () => {
    const { config, serverUrl } = await bouncedConfig(false);
    const dbs = await openDatabases(config);
    const sql = rawPostgres(serverUrl);
    try {
      const engine = new TaskEngine(dbs.scheduler).register({ name: 'SendTransaction', maxFailures: 0, maxInFlight: 1, do: async () => ({ done: true }) });
      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, caller) => {
          const statuses: string[] = [];
          for (let i = 0; i < 50; i++) {
            const result = await engine.addTask('SendTransaction', async (taskId, tx) => {
              const reason = `${caller}-${i}`;
              await tx.messageSends.insert({ taskId, fromAddress: '0xA', toAddress: '0xB', sendReason: reason, unsignedTx: new Uint8Array([1]), unsignedHash: `0x${reason}` });
              return true;
            });
            statuses.push(result.status);
          }
          return statuses;
        }),
      );
      expect(results.flat().filter((status) => status !== 'added')).toEqual([]);
      const [{ tasks, sends }] = await sql<[{ tasks: number; sends: number }]>`
        SELECT (SELECT count(*)::int FROM scheduler.task) AS tasks, (SELECT count(*)::int FROM scheduler.message_sends_eth) AS sends`;
      expect({ tasks, sends }).toEqual({ tasks: 400, sends: 400 });
    } finally {
      await sql.end();
      await dbs.close();
    }
  });

  describe('wake-ups', () => {
    /** Pings often and gives up on one soon, so that a deaf LISTEN shows within a second. */
    const FAST = { pingIntervalMs: 100, pingTimeoutMs: 300 };
    type Change = { live: boolean; reason?: string };

    /** Watches the replication queue with signals whose LISTEN connects to listenUrl; the pool goes through PgBouncer. */
    async function watching(listenUrl: string, serverUrl: string) {
      const pool = rawPostgres(bouncer.url(serverUrl));
      const signals = new PostgresSignals(listenUrl, pool, systemClock, FAST);
      const changes: Change[] = [];
      let ready = 0;
      signals.watch('replicator', 'replication', { ready: () => ready++, changed: (live, reason) => changes.push({ live, reason }) });
      return {
        changes,
        readies: () => ready,
        close: async () => {
          await signals.close();
          await pool.end();
        },
      };
    }

    it('without a direct URL, a LISTEN through the pooler is found deaf and reported once, naming direct_url', async () => {
      const { serverUrl } = await bouncedConfig(false);
      const watch = await watching(bouncer.url(serverUrl), serverUrl);
      try {
        await waitFor('the first report', () => watch.changes.length > 0);
        // Several more attempts, each deaf too: none is news.
        await sleep(2_000);
        expect(watch.changes).toEqual([{ live: false, reason: expect.stringContaining('set database.postgres.direct_url') }]);
      } finally {
        await watch.close();
      }
    });

    it('with a direct URL, a send through the pooler from another process wakes the watcher', async () => {
      const { config, serverUrl } = await bouncedConfig(true);
      const sender = await openDatabases(config);
      const watch = await watching(serverUrl, serverUrl);
      try {
        await waitFor('the LISTEN proven', () => watch.changes.length > 0);
        const before = watch.readies();
        await sender.replicator.queue('replication').send(encode('transfer-task', Buffer.from('1')));
        await waitFor('the wake-up', () => watch.readies() > before);
        expect(watch.changes).toEqual([{ live: true, reason: undefined }]);
      } finally {
        await watch.close();
        await sender.close();
      }
    });
  });
});
