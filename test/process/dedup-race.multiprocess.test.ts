/**
 * The dedup promise under load on one PostgreSQL: three sender processes send the same keys over and over while
 * worker processes (the job queue runtime) complete them, and one worker is SIGKILLed mid-run and replaced. A key's
 * job may run again after the kill, but only as the same job (same message id, a redelivery): a key whose job
 * was done is never queued again under a new id. Nothing asserts on how long anything took.
 */
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { openDatabases } from '../../src/stores/open.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';

const KEYS = 500;
const SENDERS = 3;
const ROUNDS = 4;
const QUEUE = 'dedup-race';

describe('senders racing completions of the same keys [postgres]', () => {
  it(`runs each of ${KEYS} keys sent ${SENDERS * ROUNDS} times as one job, across a worker's SIGKILL`, async () => {
    const config = await freshConfig('postgres');
    if (config.database.type !== 'postgres') throw new Error('unreachable');
    const sql = rawPostgres(config.database.postgres.url);
    const dbs = await openDatabases(config);
    const children: Child[] = [];
    /** key -> every message id its handler ran under. */
    const runs = new Map<string, string[]>();
    const spawn = (options: Record<string, unknown>) => {
      const child = spawnFixture('dedup-race.ts', config, JSON.stringify({ queue: QUEUE, keys: KEYS, ...options }));
      createInterface({ input: child.process.stdout! }).on('line', (line) => {
        const message = JSON.parse(line) as { event: string; jobs?: [string, string][] };
        for (const [key, id] of message.jobs ?? []) runs.set(key, [...(runs.get(key) ?? []), id]);
      });
      children.push(child);
      return child;
    };
    const handledCount = () => [...runs.values()].reduce((n, ids) => n + ids.length, 0);
    const until = async (done: () => boolean | Promise<boolean>) => {
      while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 20));
    };

    try {
      const workers = [spawn({ role: 'worker' }), spawn({ role: 'worker' })];
      const senders = Array.from({ length: SENDERS }, (_, i) => spawn({ role: 'sender', rounds: ROUNDS, seed: i + 1 }));
      await Promise.all(children.map((child) => child.next('ready')));
      for (const sender of senders) sender.process.kill('SIGUSR2');

      // A third of the way in, one worker dies with whatever it had claimed; a new one takes its place.
      await until(() => handledCount() >= KEYS / 3);
      workers[0]!.process.kill('SIGKILL');
      const replacement = spawn({ role: 'worker' });
      await replacement.next('ready');

      await Promise.all(senders.map((sender) => sender.next('sent')));
      // Drained: no live job of the queue (the dead worker's claims come back when their window closes).
      await until(async () => {
        const [{ live }] = await sql<[{ live: number }]>`
          SELECT count(*)::int AS live FROM aggregator.jobs j JOIN aggregator.job_ns ns ON ns.id = j.ns_id WHERE ns.queue = ${QUEUE}`;
        return live === 0;
      });
      const running = [workers[1]!, replacement];
      for (const worker of running) worker.process.kill('SIGTERM');
      await Promise.all(running.map((worker) => worker.next('stopped')));
      for (const exit of await Promise.all([...senders, ...running].map((child) => child.exit))) {
        expect(exit).toMatchObject({ code: 0, stderr: '' });
      }

      // Every key ran, each under one message id only: no key was queued again once done.
      expect(runs.size).toBe(KEYS);
      const queuedAgain = [...runs].filter(([, ids]) => new Set(ids).size > 1);
      expect(queuedAgain).toEqual([]);
      const [{ done }] = await sql<[{ done: number }]>`
        SELECT count(*)::int AS done FROM aggregator.job_done d JOIN aggregator.job_ns ns ON ns.id = d.ns_id
        WHERE ns.queue = ${QUEUE} AND d.status = 1`;
      expect(done).toBe(KEYS);
      expect(await dbs.aggregator.dedupQueue(QUEUE).stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, dead: 0 });
    } finally {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await dbs.close();
    }
  }, 120_000);
});
