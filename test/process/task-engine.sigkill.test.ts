/**
 * An engine that claimed tasks is killed with SIGKILL. A second engine must leave the tasks alone while the dead
 * engine's heartbeat is fresh, and take them over once it has lapsed. The test samples the database and checks
 * the order of states, not how long anything took.
 */
import { describe, expect, it } from 'vitest';
import { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';

const TIMEOUT_MS = 1_500;
const TASKS = 5;

interface Sample {
  ownedByDead: number;
  tasks: number;
  worked: number;
  /** Age of the dead engine's heartbeat, or null once its session row is gone. */
  deadHeartbeatAgeMs: number | null;
}

describe('a task engine killed with SIGKILL', () => {
  it('keeps its tasks until its heartbeat lapses, then another engine runs them', async () => {
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
      const adder = new TaskEngine(dbs.scheduler).register({ name: 'work', maxFailures: 0, maxInFlight: 1, do: async () => ({ done: true }) });
      for (let i = 0; i < TASKS; i++) await adder.addTask('work');

      const common = { heartbeatIntervalMs: 200, heartbeatTimeoutMs: TIMEOUT_MS, idlePollIntervalMs: 50 };
      const doomed = spawnFixture('task-engine.ts', config, JSON.stringify({ ...common, mode: 'hang', maxInFlight: TASKS }));
      children.push(doomed);
      const dead = (await doomed.next('ready')).sessionId as string;
      for (;;) {
        const [{ n }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM scheduler.task WHERE session_id = ${dead}`;
        if (n === TASKS) break;
        await new Promise((r) => setTimeout(r, 20));
      }

      const survivor = spawnFixture('task-engine.ts', config, JSON.stringify({ ...common, mode: 'work', maxInFlight: 10 }));
      children.push(survivor);
      const alive = (await survivor.next('ready')).sessionId as string;
      doomed.process.kill('SIGKILL');
      expect((await doomed.exit).signal).toBe('SIGKILL');

      const samples: Sample[] = [];
      for (;;) {
        const [s] = await sql<Sample[]>`
          SELECT
            (SELECT count(*)::int FROM scheduler.task WHERE session_id = ${dead}) AS "ownedByDead",
            (SELECT count(*)::int FROM scheduler.task) AS tasks,
            (SELECT count(*)::int FROM test_work.done) AS worked,
            (SELECT floor(extract(epoch FROM now() - heartbeat_at) * 1000)::float8
               FROM scheduler.task_engine_sessions WHERE session_id = ${dead}) AS "deadHeartbeatAgeMs"`;
        samples.push(s!);
        if (s!.tasks === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }

      // Right after the kill the dead session's heartbeat was still fresh, and its tasks were still its own.
      expect(samples[0]).toMatchObject({ ownedByDead: TASKS, worked: 0 });
      expect(samples[0]!.deadHeartbeatAgeMs).not.toBeNull();
      expect(samples[0]!.deadHeartbeatAgeMs!).toBeLessThan(TIMEOUT_MS);
      // As long as the dead session's row existed, nobody touched its tasks (the row goes in the releasing transaction).
      for (const s of samples.filter((x) => x.deadHeartbeatAgeMs !== null)) expect(s).toMatchObject({ ownedByDead: TASKS, worked: 0 });
      // Then the row went, and the survivor ran every task.
      expect(samples.some((s) => s.deadHeartbeatAgeMs === null)).toBe(true);
      expect(samples.at(-1)).toMatchObject({ tasks: 0, worked: TASKS, deadHeartbeatAgeMs: null });

      // The survivor released them only once the heartbeat was older than the timeout, by its own clock.
      const released = await survivor.next('released');
      const sessions = released.sessions as { sessionId: string; heartbeatMs: number }[];
      expect(sessions.map((s) => s.sessionId)).toEqual([dead]);
      expect((released.nowMs as number) - sessions[0]!.heartbeatMs).toBeGreaterThan(TIMEOUT_MS);
      expect(released.tasks).toBe(TASKS);
      const runs = await sql<{ session_id: string; n: number }[]>`
        SELECT session_id, count(*)::int AS n FROM test_work.done GROUP BY session_id`;
      expect(runs).toEqual([{ session_id: alive, n: TASKS }]);

      survivor.process.kill('SIGTERM');
      expect(await survivor.next('stopped')).toMatchObject({ unfinished: 0, released: 0 });
      expect((await survivor.exit).code).toBe(0);
    } finally {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await dbs.close();
    }
  });
});
