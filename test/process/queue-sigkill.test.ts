/**
 * A worker process killed with SIGKILL in the middle of a job, on both backends. Its claim must hold until the
 * visibility window it last set has passed (nobody else gets the job meanwhile), then the job is delivered again and
 * can be completed once. When the killed delivery was the job's last allowed one, the next runtime's sweep moves it
 * to the dead letters instead of leaving it stuck. Nothing asserts on how long anything took: the test reads the
 * claim's deadline from the table and checks each observation against it.
 */
import { expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { DataDirLockedError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import type { QueueOverrides } from '../../src/queue/settings.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Child, spawnFixture } from '../support/child.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { tableRows } from '../support/queues.ts';

const JOB = 'transfer-task';
const WINDOW_MS = 2_000;

const children: Child[] = [];

function worker(config: Config, options: Record<string, unknown>): Child {
  const child = spawnFixture('queue-worker.ts', config, JSON.stringify({ maxWorkers: 1, pollIntervalMs: 50, idlePollIntervalMs: 200, ...options }));
  children.push(child);
  return child;
}

/**
 * Starts a worker whose handler hangs, waits until it runs the job, runs `beforeKill`, and kills the worker with
 * SIGKILL.
 */
async function killMidJob(config: Config, overrides: QueueOverrides, beforeKill?: () => Promise<void>): Promise<Record<string, unknown>> {
  // Renewals every 200 ms: at the kill, the claim's deadline is at most 200 ms (plus timer lag) short of a window.
  const doomed = worker(config, { mode: 'block', extendIntervalMs: 200, ...overrides });
  const started = await doomed.next('started');
  await beforeKill?.();
  doomed.process.kill('SIGKILL');
  expect((await doomed.exit).signal).toBe('SIGKILL');
  return started;
}

/** Sends one job with the installation open only for that: on SQLite a worker process must get the writer lock. */
async function sendOne(config: Config, overrides: QueueOverrides, seq: number): Promise<string> {
  const dbs = await openDatabases(config);
  try {
    return (await dbs.replicator.queue('replication', overrides).send(encode(JOB, Buffer.from(String(seq)))))!;
  } finally {
    await dbs.close();
  }
}

function killAll(): void {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

forEachBackend('a worker process killed with SIGKILL mid-job', (backend) => {
  it('keeps the job hidden until the claim it last renewed expires, then it is delivered again and completed once', async () => {
    const config = await freshConfig(backend);
    const overrides = { visibilityTimeoutMs: WINDOW_MS };
    const id = await sendOne(config, overrides, 7);
    try {
      const started = await killMidJob(config, overrides, async () => {
        // SQLite: the worker holds the installation's writer lock while it runs.
        if (backend === 'sqlite') await expect(openDatabases(config)).rejects.toBeInstanceOf(DataDirLockedError);
      });
      expect(started).toMatchObject({ seq: 7, messageId: id, delivery: 1 });

      // On SQLite the dead process's writer lock went with it (the kernel drops its fcntl locks): this open succeeds.
      const dbs = await openDatabases(config);
      try {
        const queue = dbs.replicator.queue('replication', overrides);
        // Nobody can move the claim any more: its deadline is what the dead process last wrote.
        const [row] = await tableRows(dbs.replicator, 'jobqueue');
        expect(row).toMatchObject({ id, received: 1 });
        const deadline = (row!.timeout as Date).getTime();

        // Observe until the job comes back. A receive that came back empty ran before the deadline (the store reads
        // its clock after `before`); the one that delivered ran at or after it (before `after`).
        const empty: number[] = [];
        let again;
        for (;;) {
          const before = Date.now();
          again = await queue.receive();
          const after = Date.now();
          if (again !== undefined) {
            expect(after).toBeGreaterThanOrEqual(deadline);
            break;
          }
          expect(before).toBeLessThan(deadline);
          if (empty.length === 0) expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 1, dead: 0 });
          empty.push(before);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        // It was observed hidden at least once while the window was open, then delivered to us as delivery 2.
        expect(empty.length).toBeGreaterThan(0);
        expect(again).toMatchObject({ id, received: 2 });
        expect(again.body).toEqual(encode(JOB, Buffer.from('7')));

        // Completed once: gone for good, not dead-lettered, and not delivered a third time.
        await queue.delete(again.id);
        expect(await queue.receive()).toBeUndefined();
        expect(await queue.stats()).toEqual({ queue: 'replication', ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0, oldestAgeMs: 0 });
        expect(await queue.deadLetters()).toEqual([]);
        expect(await tableRows(dbs.replicator, 'jobqueue')).toEqual([]);
      } finally {
        await dbs.close();
      }
    } finally {
      killAll();
    }
  });

  it('moves a job whose last allowed delivery died with its process to the dead letters (max_retries), by the sweep', async () => {
    const config = await freshConfig(backend);
    const overrides = { visibilityTimeoutMs: WINDOW_MS, maxDeliveries: 2 };
    const id = await sendOne(config, overrides, 9);
    try {
      // Two deliveries, both die with their process: the second was the last one allowed.
      expect(await killMidJob(config, overrides)).toMatchObject({ seq: 9, messageId: id, delivery: 1 });
      expect(await killMidJob(config, overrides)).toMatchObject({ seq: 9, messageId: id, delivery: 2 });

      // A healthy worker never gets the job again; its sweeper moves it once the dead claim's window has passed.
      const survivor = worker(config, { mode: 'record', sweepIntervalMs: 100, ...overrides });
      const swept = await survivor.next('log');
      expect(swept).toMatchObject({
        level: 'warn',
        message: 'moved messages whose last delivery ended without an outcome to the dead letters',
        fields: { queue: 'replication', moved: 1, reason: 'max_retries' },
      });
      survivor.process.kill('SIGTERM');
      expect(await survivor.next('stopped')).toMatchObject({ handled: 0 });
      expect(await survivor.exit).toMatchObject({ code: 0, stderr: '' });

      const dbs = await openDatabases(config);
      try {
        const queue = dbs.replicator.queue('replication', overrides);
        const dead = await queue.deadLetters();
        expect(dead).toEqual([
          expect.objectContaining({ id, queue: 'replication', jobName: JOB, received: 2, reason: 'max_retries' }),
        ]);
        expect(dead[0]!.body).toEqual(encode(JOB, Buffer.from('9')));
        expect(await queue.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 1 });
        expect(await queue.receive()).toBeUndefined();
      } finally {
        await dbs.close();
      }
    } finally {
      killAll();
    }
  });
});
