/**
 * Postgres, where several receivers share one database: concurrent claims over two separate pools never hand
 * one message to two receivers while its window is open (Piri's claim does, data-model §4.6), and concurrent sends of
 * one dedup payload leave exactly one job without an error.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { freshConfig } from '../support/installations.ts';
import { freshName } from '../support/queues.ts';

const MESSAGES = 2_000;
const POOL_SIZE = 8;
const RECEIVERS_PER_POOL = 8;

describe('exclusive claims under concurrency [postgres]', () => {
  // Two installations' worth of pools on one database: what two processes sharing Postgres have.
  const clock = new ManualClock();
  const instances: Databases[] = [];

  beforeAll(async () => {
    const base = await freshConfig('postgres');
    if (base.database.type !== 'postgres') throw new Error('unreachable');
    const config: Config = { ...base, database: { ...base.database, postgres: { ...base.database.postgres, maxOpenConns: POOL_SIZE } } };
    for (let i = 0; i < 2; i++) instances.push(await openDatabases(config, { clock }));
  });
  afterAll(async () => {
    for (const dbs of instances) await dbs.close();
  });

  /** Receivers on every pool claim until the queue is empty; returns every id handed out, in no order. */
  async function drain(open: (dbs: Databases) => QueueStore): Promise<string[]> {
    const handed: string[] = [];
    const receiver = async (queue: QueueStore, index: number) => {
      for (;;) {
        // Mix single and batch claims of different sizes.
        const batch = index % 2 === 0 ? [await queue.receive()].filter((m) => m !== undefined) : await queue.receiveMany(1 + (index % 7));
        if (batch.length === 0) return;
        handed.push(...batch.map((m) => m.id));
      }
    };
    await Promise.all(
      instances.flatMap((dbs) => Array.from({ length: RECEIVERS_PER_POOL }, (_, i) => receiver(open(dbs), i))),
    );
    return handed;
  }

  it(`hands each of ${MESSAGES} plain messages to exactly one of ${2 * RECEIVERS_PER_POOL} concurrent receivers`, async () => {
    const name = freshName('claims');
    const [first] = instances;
    const sent = await first!.aggregator
      .queue(name)
      .sendMany(Array.from({ length: MESSAGES }, (_, i) => Buffer.from(`job ${i}`)));
    const handed = await drain((dbs) => dbs.aggregator.queue(name));
    expect(handed).toHaveLength(MESSAGES);
    expect(new Set(handed)).toEqual(new Set(sent));
    const stats = await first!.aggregator.queue(name).stats();
    expect([stats.ready, stats.inFlight]).toEqual([0, MESSAGES]);
  });

  it(`hands each of ${MESSAGES} dedup jobs to exactly one of ${2 * RECEIVERS_PER_POOL} concurrent receivers`, async () => {
    const name = freshName('claims');
    const [first] = instances;
    const sent = await first!.aggregator
      .dedupQueue(name)
      .sendMany(Array.from({ length: MESSAGES }, (_, i) => encode('aggregate_piece', Buffer.from(`piece ${i}`))));
    expect(sent.every((id) => id !== undefined)).toBe(true);
    const handed = await drain((dbs) => dbs.aggregator.dedupQueue(name));
    expect(handed).toHaveLength(MESSAGES);
    expect(new Set(handed)).toEqual(new Set(sent));
  });

  it('leaves exactly one job, and raises nothing, when many connections send the same payload at once', async () => {
    const name = freshName('dedup-race');
    const payloads = Array.from({ length: 20 }, (_, i) => Buffer.from(`contested ${i}`));
    const results = await Promise.allSettled(
      payloads.flatMap((payload) =>
        instances.flatMap((dbs) =>
          Array.from({ length: POOL_SIZE }, (_, i) =>
            // Each send carries its own trace: only the payload decides.
            dbs.aggregator.dedupQueue(name).send(encode('aggregate_piece', payload, { traceId: String(i).padStart(32, '0'), spanId: '1'.repeat(16) })),
          ),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const ids = results.map((r) => (r as PromiseFulfilledResult<string | undefined>).value);
    const perPayload = payloads.map((_, p) => ids.slice(p * 2 * POOL_SIZE, (p + 1) * 2 * POOL_SIZE).filter((id) => id !== undefined));
    expect(perPayload.map((winners) => winners.length)).toEqual(payloads.map(() => 1));
    expect((await instances[0]!.aggregator.dedupQueue(name).stats()).ready).toBe(payloads.length);
  });
});
