/**
 * What a local clock that steps backwards does to the queues (docs/reliability.md, "A clock that steps
 * backwards"): deadlines are written from the clock of the process that sends, claims or renews, so messages
 * written before a step back wait out the step, while messages sent after it are delivered at once. Nothing is
 * lost or delivered twice; the old messages are only late, by the size of the step.
 */
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { freshName, useInstallation } from '../support/queues.ts';

const STEP_MS = 10 * 60_000;

forEachBackend('a clock stepping back', (backend) => {
  const env = useInstallation(backend);
  const kinds: [string, () => QueueStore][] = [
    ['plain', () => env.dbs.replicator.queue(freshName('step'))],
    ['dedup', () => env.dbs.aggregator.dedupQueue(freshName('step'))],
  ];

  describe.each(kinds)('%s queue', (_, open) => {
    it('holds messages sent before a 10-minute step back for 10 minutes, and delivers later sends at once', async () => {
      const q = open();
      const before = await q.sendMany(Array.from({ length: 5 }, (_, i) => encode('job', Buffer.from(`before ${i}`))));
      env.clock.advance(-STEP_MS);

      expect(await q.receive()).toBeUndefined();
      expect(await q.stats()).toMatchObject({ ready: 0, delayed: 5 });
      const after = await q.send(encode('job', Buffer.from('after')));
      expect((await q.receiveMany(10)).map((m) => m.id)).toEqual([after]);
      await q.delete(after!);

      env.clock.advance(STEP_MS - 1_000);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1_000);
      expect((await q.receiveMany(10)).map((m) => m.id)).toEqual(before);
    });
  });
});
