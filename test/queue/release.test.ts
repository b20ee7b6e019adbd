/**
 * Giving claims back (QueueStore.release, and the runtime's stop({ release })) on both backends and both queue
 * kinds: a released message is receivable at once with its delivery not counted; a claim that lapsed and was taken
 * by another receiver is not touched; bad claims are refused before any SQL.
 */
import { describe, expect, it } from 'vitest';
import { QueueError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, StopTimeoutError } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { freshName, useInstallation } from '../support/queues.ts';

forEachBackend('release', (backend) => {
  const env = useInstallation(backend);
  const kinds: [string, () => QueueStore][] = [
    ['plain', () => env.dbs.replicator.queue(freshName('release'))],
    ['dedup', () => env.dbs.aggregator.dedupQueue(freshName('release'))],
  ];

  describe.each(kinds)('%s queue', (_, open) => {
    it('gives a claim back: receivable at once, and the delivery it was claimed for is not counted', async () => {
      const q = open();
      const [a, b] = await q.sendMany([encode('job', Buffer.from('a')), encode('job', Buffer.from('b'))]);
      const claimed = await q.receiveMany(2);
      expect(claimed.map((m) => m.received)).toEqual([1, 1]);
      expect(await q.receive()).toBeUndefined();

      expect(await q.release([{ id: a!, delivery: 1 }])).toBe(1);

      expect(await q.stats()).toMatchObject({ ready: 1, inFlight: 1 });
      expect(await q.receive()).toMatchObject({ id: a, received: 1 });
      expect(await q.release([])).toBe(0);
      expect(b).toBeDefined();
    });

    it('leaves alone a claim that lapsed and was taken again, and a message that is gone', async () => {
      const q = open();
      const id = await q.send(encode('job', Buffer.from('x')));
      await q.receive();
      env.clock.advance(q.settings.visibilityTimeoutMs + 1_000);
      expect(await q.receive()).toMatchObject({ id, received: 2 });

      expect(await q.release([{ id: id!, delivery: 1 }])).toBe(0);
      expect(await q.stats()).toMatchObject({ ready: 0, inFlight: 1 });

      await q.delete(id!);
      expect(await q.release([{ id: id!, delivery: 2 }])).toBe(0);
    });

    it('refuses claims that are not { id, delivery } with a delivery from 1 to 2^31 - 1', async () => {
      const q = open();
      const id = await q.send(encode('job', Buffer.from('y')));
      for (const claims of [undefined, [{ id }], [{ id, delivery: 0 }], [{ id, delivery: 1.5 }], [{ id, delivery: 2 ** 31 }], [{ delivery: 1 }], [null]]) {
        await expect(q.release(claims as never)).rejects.toThrow(QueueError);
      }
    });

    it('stop({ release }) gives back what was claimed ahead at once, and a job still running after the grace period', async () => {
      const q = open();
      await q.sendMany(['running', 'ahead-1', 'ahead-2'].map((p) => encode('job', Buffer.from(p))));
      const jobs = createJobQueue(q, { maxWorkers: 1, prefetch: 2, pollIntervalMs: 10, logger: { warn() {}, error() {} } });
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      jobs.register('job', (_, { signal }) => {
        started();
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      });
      jobs.start();
      await running;
      // Until a job has finished, the loop claims one message ahead per worker: the running one and one waiting.
      while ((await q.stats()).inFlight < 2) await new Promise((resolve) => setTimeout(resolve, 10));

      const stopped = await jobs.stop({ timeoutMs: 50, release: true }).catch((error: unknown) => error);

      expect(stopped).toBeInstanceOf(StopTimeoutError);
      expect((stopped as StopTimeoutError).abandoned).toBe(1);
      expect((stopped as Error).message).toMatch(/released/);
      expect(await q.stats()).toMatchObject({ ready: 3, inFlight: 0 });
      expect((await q.receiveMany(10)).map((m) => m.received)).toEqual([1, 1, 1]);
    });
  });
});
