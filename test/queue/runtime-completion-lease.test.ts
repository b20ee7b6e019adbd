/**
 * A succeeded job's claim stays renewed until the delete holding its id has been written. A delete that waits (for
 * its group commit, or through a server restart) must not let the window lapse so that the job is claimed and run
 * again meanwhile. The store's deleteMany is held back by the test; time comes from the installation's ManualClock,
 * moved past the window while the delete waits.
 */
import { expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { observed } from '../faults/support/observed-store.ts';
import { sleep, waitFor } from '../faults/support/wait.ts';
import { forEachBackend } from '../support/installations.ts';
import { freshName, useInstallation } from '../support/queues.ts';

const WINDOW_MS = 1_000;

forEachBackend('a completed job whose delete waits', (backend) => {
  const installation = useInstallation(backend);

  it('keeps its claim renewed: moved past its window, it is not delivered again', async () => {
    const { dbs, clock } = installation;
    const store = dbs.replicator.queue(freshName(), { visibilityTimeoutMs: WINDOW_MS });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const { store: watched, observations } = observed(store);
    const held: QueueStore = {
      ...watched,
      async deleteMany(ids) {
        await gate;
        return watched.deleteMany(ids);
      },
    };
    const renewalsSince = (since: number) => [...observations.extended.values()].flat().filter((at) => at >= since).length;
    const handled: string[] = [];
    const jobs = createJobQueue(held, { maxWorkers: 2, extendIntervalMs: 20, idlePollIntervalMs: 3_600_000, completionDelayMs: 0 });
    jobs.register('work', (payload) => {
      handled.push(payload.toString());
    });
    jobs.start();
    try {
      await jobs.enqueue('work', Buffer.from('first'));
      await waitFor('the first job handled', () => handled.length === 1);

      // Past the window of its claim, while its delete waits; then a renewal lands (after the fix; without it there
      // is none to wait for).
      const movedAt = Date.now();
      clock.advance(WINDOW_MS * 2);
      await waitFor('a renewal after the clock moved', () => renewalsSince(movedAt) > 0, { timeoutMs: 2_000 }).catch(() => undefined);

      // A claim now: the second job's send wakes the pool, which claims every receivable message.
      await store.send(encode('work', Buffer.from('second')));
      await waitFor('the second job handled', () => handled.includes('second'));
      await sleep(100);
      expect(handled.filter((payload) => payload === 'first')).toEqual(['first']);
    } finally {
      openGate();
      await jobs.stop();
    }
    expect(await store.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
  });
});
