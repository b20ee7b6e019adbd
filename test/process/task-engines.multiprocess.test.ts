/**
 * Three task engines in three processes on one PostgreSQL scheduler run 2,000 tasks. Each attempt records its work
 * in test_work.done (no unique key, so a task run twice would show up twice); every task must have run exactly
 * once, every engine must have taken part, and nothing may be left behind.
 */
import { describe, expect, it, vi } from 'vitest';
import { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';

const TASKS = 2_000;

describe('task engines in several processes on one PostgreSQL', () => {
  it('run every task exactly once', async () => {
    const config = await freshConfig('postgres');
    if (config.database.type !== 'postgres') throw new Error('unreachable');
    const dbs = await openDatabases(config);
    const sql = rawPostgres(config.database.postgres.url);
    const children: Child[] = [];
    try {
      // The server does not crash here, only clients: commits need not wait for the disk (new connections only).
      await sql`ALTER DATABASE ${sql(new URL(config.database.postgres.url).pathname.slice(1))} SET synchronous_commit = off`;
      await sql`CREATE SCHEMA test_work`;
      await sql`CREATE TABLE test_work.done (task_id bigint NOT NULL, session_id text NOT NULL, pid integer NOT NULL)`;
      const options = { mode: 'work', maxInFlight: 8, heartbeatIntervalMs: 500, heartbeatTimeoutMs: 10_000, idlePollIntervalMs: 50 };
      for (let i = 0; i < 3; i++) children.push(spawnFixture('task-engine.ts', config, JSON.stringify(options)));
      const sessions = (await Promise.all(children.map((c) => c.next('ready')))).map((m) => m.sessionId as string);
      expect(new Set(sessions).size).toBe(3);

      // Half added in bulk, half through addTask while the engines are already draining.
      const bulk = await sql<{ id: string }[]>`
        INSERT INTO scheduler.task (posted_time, update_time, added_by, name, retries)
        SELECT now(), now(), 'bulk', 'work', 0 FROM generate_series(1, ${TASKS / 2}) RETURNING id`;
      const adder = new TaskEngine(dbs.scheduler).register({ name: 'work', maxFailures: 0, maxInFlight: 1, do: async () => ({ done: true }) });
      const added: number[] = bulk.map((r) => Number(r.id));
      // Five adders at once (the pool's size), one transaction per task.
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let i = 0; i < TASKS / 2 / 5; i++) {
            const result = await adder.addTask('work');
            if (result.status === 'added') added.push(result.taskId);
          }
        }),
      );
      expect(added).toHaveLength(TASKS);

      await vi.waitFor(
        async () => {
          const [{ n }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM scheduler.task`;
          expect(n).toBe(0);
        },
        { timeout: 60_000, interval: 100 },
      );
      for (const child of children) child.process.kill('SIGTERM');
      const stopped = await Promise.all(children.map((c) => c.next('stopped')));
      expect(stopped).toEqual(Array(3).fill({ event: 'stopped', unfinished: 0, released: 0 }));
      for (const exit of await Promise.all(children.map((c) => c.exit))) expect(exit.code).toBe(0);

      const work = await sql<{ task_id: string; runs: number }[]>`
        SELECT task_id, count(*)::int AS runs FROM test_work.done GROUP BY task_id`;
      expect(work.filter((w) => w.runs !== 1)).toEqual([]);
      expect(work.map((w) => Number(w.task_id)).sort((a, b) => a - b)).toEqual([...added].sort((a, b) => a - b));

      const bySession = await sql<{ session_id: string; n: number }[]>`
        SELECT completed_by_session_id AS session_id, count(*)::int AS n FROM scheduler.task_history
        WHERE result AND err = '' GROUP BY 1`;
      expect(bySession.map((r) => r.session_id).sort()).toEqual([...sessions].sort());
      expect(bySession.reduce((sum, r) => sum + r.n, 0)).toBe(TASKS);
      expect(await sql`SELECT * FROM scheduler.task_engine_sessions`).toHaveLength(0);
    } finally {
      for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
      await dbs.close();
    }
  });
});
