/**
 * Three worker processes, four workers each (the job queue runtime: batch claims with SKIP LOCKED, batched
 * deletes), drain one Postgres queue of 20,000 jobs together. Every job must be handled exactly once, by exactly
 * one process, and the queue must end empty with no dead letters. Nothing asserts on how long anything took.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import { openDatabases } from '../../src/stores/open.ts';
import type { Child } from '../support/child.ts';
import { drained, startWorkers, stopWorkers } from '../support/queue-workers.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';

const JOBS = 20_000;
const PROCESSES = 3;
const WORKERS = 4;
const SEND_BATCH = 1_000;

describe('several worker processes draining one PostgreSQL queue', () => {
  it(`hands each of ${JOBS} jobs to exactly one of ${PROCESSES} processes x ${WORKERS} workers, and loses none`, async () => {
    const config = await freshConfig('postgres');
    if (config.database.type !== 'postgres') throw new Error('unreachable');
    const sql = rawPostgres(config.database.postgres.url);
    // The server does not crash here, only clients: commits need not wait for the disk (new connections only).
    await sql`ALTER DATABASE ${sql(new URL(config.database.postgres.url).pathname.slice(1))} SET synchronous_commit = off`;

    const dbs = await openDatabases(config);
    const children: Child[] = [];
    try {
      const queue = dbs.replicator.queue('replication');
      const ids: string[] = [];
      for (let first = 0; first < JOBS; first += SEND_BATCH) {
        const bodies = Array.from({ length: Math.min(SEND_BATCH, JOBS - first) }, (_, i) => encode('transfer-task', Buffer.from(String(first + i))));
        ids.push(...(await queue.sendMany(bodies)).map((id) => id!));
      }
      expect(new Set(ids).size).toBe(JOBS);
      expect(await queue.stats()).toMatchObject({ ready: JOBS, inFlight: 0, dead: 0 });

      const { handled, logs } = await startWorkers(children, config, PROCESSES, WORKERS);
      await drained(sql);
      const { stopped, exits } = await stopWorkers(children);
      for (const exit of exits) expect(exit).toMatchObject({ code: 0, stderr: '' });

      // Each process's report is complete (its batches add up to its count), and every process took part.
      const perProcess = children.map((child) => handled.filter((h) => h.pid === child.process.pid).length);
      expect(perProcess).toEqual(stopped.map((s) => s.handled));
      for (const count of perProcess) expect(count).toBeGreaterThan(0);

      // Exactly once: 20,000 handlings, of 20,000 distinct jobs, each its message's first delivery.
      expect(handled).toHaveLength(JOBS);
      const seqs = new Set(handled.map((h) => h.seq));
      expect(seqs.size).toBe(JOBS);
      expect(Math.min(...seqs)).toBe(0);
      expect(Math.max(...seqs)).toBe(JOBS - 1);
      expect(new Set(handled.map((h) => h.messageId))).toEqual(new Set(ids));
      expect(handled.filter((h) => h.delivery !== 1)).toEqual([]);

      // Nothing left: no live message in any state, no dead letter, no warning or error from any runtime.
      expect(await queue.stats()).toEqual({ queue: 'replication', ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0, oldestAgeMs: 0 });
      const [{ dead }] = await sql<[{ dead: number }]>`SELECT count(*)::int AS dead FROM replicator.jobqueue_dead`;
      expect(dead).toBe(0);
      expect(logs).toEqual([]);
    } finally {
      for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await dbs.close();
    }
    // About 20 s on a busy 2-core machine; the margin is for a machine busier still.
  }, 120_000);
});
