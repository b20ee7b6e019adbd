/**
 * Payloads from 1 B to 64 MiB end to end through the worker runtime (enqueue, claim, envelope decode, handler), on
 * both backends and both queue kinds, and the body limit as enqueue sees it. Until the envelope's base64 check was a
 * loop, a job of 3.25 MiB or more was dead-lettered without ever running, and requeueing it failed the same way.
 */
import { afterEach, expect, it } from 'vitest';
import { QueueError } from '../../src/errors.ts';
import { MAX_BODY_BYTES } from '../../src/queue/arguments.ts';
import { encode, encodedLength } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueue, PermanentError } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { fingerprint, freshName, overwriteDeadBody, patterned, useInstallation } from '../support/queues.ts';

const MiB = 1024 * 1024;
const JOB = 'store-piece';
const SIZES = [1, 3.25 * MiB + 1, 16 * MiB, 64 * MiB];
/** The largest payload whose envelope, under JOB and without a trace, fits in MAX_BODY_BYTES. */
const MAX_PAYLOAD = Math.floor((MAX_BODY_BYTES - encodedLength(JOB, 0)) / 4) * 3;
const silent = { warn: () => {}, error: () => {} };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** For the tests that move 100 MiB and more through Postgres: they take tens of seconds on a busy machine. */
const BIG_TIMEOUT_MS = 300_000;

/** Waits for a state (not a duration), for as long as a test may take. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = BIG_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function expectEmpty(store: QueueStore): Promise<void> {
  const { ready, inFlight, delayed, exhausted, dead } = await store.stats();
  expect({ ready, inFlight, delayed, exhausted, dead }).toEqual({ ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0 });
}

forEachBackend('job payloads up to 64 MiB through the runtime', (backend) => {
  const env = useInstallation(backend);
  const stores = {
    plain: () => env.dbs.replicator.queue(freshName()),
    dedup: () => env.dbs.aggregator.dedupQueue(freshName()),
  };

  /** A started job queue over `store` whose JOB handler records the fingerprint of each payload it gets. */
  function recording(store: QueueStore, handle: (payload: Buffer) => void = () => {}): { jobs: JobQueue; handled: string[] } {
    const jobs = createJobQueue(store, { pollIntervalMs: 5, maxWorkers: 2, prefetch: 0, logger: silent });
    const handled: string[] = [];
    jobs.register(JOB, (payload) => {
      handle(payload);
      handled.push(fingerprint(payload));
    });
    jobs.start();
    cleanups.push(() => jobs.stop({ timeoutMs: 0 }));
    return { jobs, handled };
  }

  it.each(['plain', 'dedup'] as const)('hands every %s job its payload byte for byte, 1 B to 64 MiB', { timeout: BIG_TIMEOUT_MS }, async (kind) => {
    const store = stores[kind]();
    const { jobs, handled } = recording(store);
    const payloads = SIZES.map((size) => patterned(size));
    for (const payload of payloads) await jobs.enqueue(JOB, payload);

    await until('every job ran', () => handled.length === payloads.length);
    await jobs.stop();
    expect(handled.sort()).toEqual(payloads.map(fingerprint).sort());
    await expectEmpty(store);
  });

  it.each(['plain', 'dedup'] as const)(
    'refuses at enqueue, on a %s queue, a payload whose envelope is over MAX_BODY_BYTES, naming the sizes and the limit',
    async (kind) => {
      const store = stores[kind]();
      const { jobs } = recording(store);
      expect(encodedLength(JOB, MAX_PAYLOAD)).toBeLessThanOrEqual(MAX_BODY_BYTES);
      const payload = Buffer.alloc(MAX_PAYLOAD + 1);
      const error = await jobs.enqueue(JOB, payload).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QueueError);
      expect((error as QueueError).code).toBe('INVALID_ARGUMENT');
      expect((error as QueueError).message).toBe(
        `the message body for a payload of ${MAX_PAYLOAD + 1} bytes is ${encodedLength(JOB, MAX_PAYLOAD + 1)} bytes, ` +
          `over the limit of ${MAX_BODY_BYTES} bytes (128 MiB)`,
      );
      await jobs.stop();
      await expectEmpty(store);
    },
  );

  /** A started job queue whose handler fails each payload's first delivery for good, so that it is dead-lettered. */
  function failingOnce(store: QueueStore) {
    const failed = new Set<string>();
    const queue = recording(store, (payload) => {
      if (!failed.has(fingerprint(payload))) {
        failed.add(fingerprint(payload));
        throw new PermanentError('not yet');
      }
    });
    return { ...queue, failed };
  }

  it.each(['plain', 'dedup'] as const)('requeues a 16 MiB %s dead letter and runs it', async (kind) => {
    const store = stores[kind]();
    const { jobs, handled } = failingOnce(store);
    const big = patterned(16 * MiB);
    await jobs.enqueue(JOB, big);
    await until('it is a dead letter', async () => (await store.stats()).dead === 1);

    expect(await store.requeueDead()).toBe(1);
    await until('it ran again', () => handled.length === 1);
    await jobs.stop();
    expect(handled).toEqual([fingerprint(big)]);
    await expectEmpty(store);
  });

  it('requeues a dead letter whose stored body is over the limit as it is, and runs it', { timeout: BIG_TIMEOUT_MS }, async () => {
    const store = stores.plain();
    const { jobs, handled, failed } = failingOnce(store);
    const id = await jobs.enqueue(JOB, Buffer.from('replaced while dead'));
    await until('it is a dead letter', async () => (await store.stats()).dead === 1);
    // Written by Piri, or before the limit: the limit guards what is sent, what is stored stays usable.
    const overLimit = patterned(MAX_PAYLOAD + 3);
    const body = encode(JOB, overLimit);
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    await overwriteDeadBody(env.dbs.replicator, id!, body);
    failed.add(fingerprint(overLimit));

    expect(await store.requeueDead()).toBe(1);
    await until('it ran again', () => handled.length === 1);
    await jobs.stop();
    expect(handled).toEqual([fingerprint(overLimit)]);
    await expectEmpty(store);
  });
});
