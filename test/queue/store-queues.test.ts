/**
 * Which stores offer which queues, with which settings: Piri's for its queue names (data-model §4.8), library
 * defaults for other names, caller overrides on top.
 */
import { describe, expect, it } from 'vitest';
import { QueueError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import { MAX_VISIBILITY_TIMEOUT_MS } from '../../src/queue/settings.ts';
import { forEachBackend } from '../support/installations.ts';
import { freshName, useInstallation } from '../support/queues.ts';

forEachBackend('store queues', (backend) => {
  const env = useInstallation(backend);

  it("opens Piri's queues with Piri's settings", () => {
    const { replicator, aggregator, egressTracker } = env.dbs;
    expect(replicator.queue('replication').settings).toEqual({ visibilityTimeoutMs: 5_000, maxDeliveries: 10 });
    expect(aggregator.queue('compute_commp').settings).toEqual({ visibilityTimeoutMs: 5_000, maxDeliveries: 50 });
    expect(aggregator.queue('manager').settings).toEqual({ visibilityTimeoutMs: 60_000, maxDeliveries: 50 });
    expect(egressTracker.queue('egress-tracker').settings).toEqual({ visibilityTimeoutMs: 5_000, maxDeliveries: 10 });
    expect(aggregator.dedupQueue('aggregator').settings).toEqual({
      visibilityTimeoutMs: 30_000,
      maxDeliveries: 50,
      dedupe: { enabled: true, blockRepeatsAfterDeadLetter: false },
    });
  });

  it('opens other names with library defaults, and applies overrides on top', () => {
    const { replicator, aggregator } = env.dbs;
    expect(replicator.queue('other').settings).toEqual({ visibilityTimeoutMs: 5_000, maxDeliveries: 3 });
    expect(aggregator.dedupQueue('other').settings).toEqual({
      visibilityTimeoutMs: 5_000,
      maxDeliveries: 3,
      dedupe: { enabled: true, blockRepeatsAfterDeadLetter: true },
    });
    expect(replicator.queue('replication', { maxDeliveries: 2, visibilityTimeoutMs: undefined }).settings).toEqual({
      visibilityTimeoutMs: 5_000,
      maxDeliveries: 2,
    });
    expect(aggregator.dedupQueue('aggregator', { dedupe: { enabled: false } }).settings.dedupe).toEqual({
      enabled: false,
      blockRepeatsAfterDeadLetter: false,
    });
  });

  it('returns the same queue for the same name and settings', () => {
    const { replicator } = env.dbs;
    const name = freshName();
    expect(replicator.queue(name)).toBe(replicator.queue(name));
    expect(replicator.queue(name, { maxDeliveries: 3 })).toBe(replicator.queue(name));
    expect(replicator.queue(name, { maxDeliveries: 4 })).not.toBe(replicator.queue(name));
    expect(env.dbs.aggregator.queue(name)).not.toBe(replicator.queue(name));
  });

  it('refuses queues a store has no tables for, and a queue opened as the wrong kind', () => {
    const { scheduler, replicator, egressTracker, aggregator } = env.dbs;
    const refusals: [() => unknown, string][] = [
      [() => scheduler.queue('x'), 'store scheduler has no plain queue tables (stores that have them: replicator, aggregator, egress_tracker)'],
      [() => scheduler.dedupQueue('x'), 'store scheduler has no dedup queue tables (stores that have them: aggregator)'],
      [() => replicator.dedupQueue('x'), 'store replicator has no dedup queue tables'],
      [() => egressTracker.dedupQueue('x'), 'store egress_tracker has no dedup queue tables'],
      [() => aggregator.queue('aggregator'), 'queue aggregator of store aggregator is a dedup queue: open it with dedupQueue()'],
      [() => aggregator.dedupQueue('manager'), 'queue manager of store aggregator is a plain queue: open it with queue()'],
    ];
    for (const [open, message] of refusals) {
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QueueError);
      expect((error as QueueError).code).toBe('QUEUE_UNAVAILABLE');
      expect((error as Error).message).toContain(message);
    }
  });

  it('refuses an empty name and invalid settings, naming them', () => {
    const { replicator, aggregator } = env.dbs;
    expect(() => replicator.queue('')).toThrow('queue name must be a non-empty string');
    expect(() => replicator.queue(undefined as unknown as string)).toThrow('queue name must be a non-empty string');
    expect(() => replicator.queue('x', { maxDeliveries: 0 })).toThrow('overrides.maxDeliveries must be an integer >= 1');
    expect(() => replicator.queue('x', { maxDeliveries: 2.5 })).toThrow('overrides.maxDeliveries');
    expect(() => replicator.queue('x', { visibilityTimeoutMs: 0 })).toThrow('overrides.visibilityTimeoutMs must be a number of ms > 0');
    expect(() => replicator.queue('x', { visibilityTimeoutMs: Number.POSITIVE_INFINITY })).toThrow('overrides.visibilityTimeoutMs');
    expect(() => aggregator.dedupQueue('x', { dedupe: { enabled: 'yes' as unknown as boolean } })).toThrow(
      'overrides.dedupe.enabled must be a boolean',
    );
  });

  it('refuses at open a visibility window too long to give a deadline, which made every receive throw', async () => {
    const { replicator, aggregator } = env.dbs;
    const tooLong = { visibilityTimeoutMs: 1e15 };
    for (const open of [() => replicator.queue(freshName(), tooLong), () => aggregator.dedupQueue(freshName(), tooLong)]) {
      let error: unknown;
      try {
        open();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QueueError);
      expect((error as QueueError).code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toBe(
        'overrides.visibilityTimeoutMs must be a number of ms > 0 and <= 3155760000000 (100 years), got 1000000000000000',
      );
    }
    // The longest window accepted gives every queue kind a deadline it can store.
    const longest = { visibilityTimeoutMs: MAX_VISIBILITY_TIMEOUT_MS };
    for (const queue of [replicator.queue(freshName(), longest), aggregator.dedupQueue(freshName(), longest)]) {
      const id = (await queue.send(encode('job', Buffer.from('x'))))!;
      expect((await queue.receive())?.id).toBe(id);
      expect(await queue.extend(id, MAX_VISIBILITY_TIMEOUT_MS)).toBe(true);
    }
  });

  it('keeps the same queue name in different stores apart', async () => {
    const name = freshName();
    await env.dbs.replicator.queue(name).send(Buffer.from('replicator'));
    expect(await env.dbs.egressTracker.queue(name).receive()).toBeUndefined();
    expect((await env.dbs.replicator.queue(name).receive())?.body.toString()).toBe('replicator');
  });
});
