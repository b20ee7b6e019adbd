/**
 * The worker runtime against the real queue stores, on both backends. Time that the stores see comes from a
 * ManualClock, so retries, claims and sweeps are driven by moving the clock; the runtime's own timers (polling,
 * renewals, batching) are real but set short. Nothing asserts on how long anything took: tests wait for a state
 * and then check the store.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { encode } from '../../src/queue/envelope.ts';
import {
  createJobQueue,
  type JobContext,
  type JobQueue,
  type JobQueueLogger,
  type JobQueueOptions,
  PermanentError,
  StopTimeoutError,
} from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';

const JOB = 'transfer-task';
/** Payloads carry this marker so a test can prove that no log line ever contains one. */
const SECRET = 'payload-secret-7f3a';

interface LogEntry {
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

class RecordingLogger implements JobQueueLogger {
  readonly entries: LogEntry[] = [];
  warn(message: string, fields: Readonly<Record<string, unknown>>): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: Readonly<Record<string, unknown>>): void {
    this.entries.push({ level: 'error', message, fields });
  }
  text(): string {
    return JSON.stringify(this.entries);
  }
}

interface Handled {
  readonly payload: string;
  readonly context: JobContext;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function payload(text: string): Buffer {
  return Buffer.from(`${SECRET}:${text}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for a state (not a duration): polls `condition` until it holds. */
async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

async function expectEmpty(store: QueueStore): Promise<void> {
  const stats = await store.stats();
  expect({ ready: stats.ready, inFlight: stats.inFlight, delayed: stats.delayed, exhausted: stats.exhausted, dead: stats.dead }).toEqual({
    ready: 0,
    inFlight: 0,
    delayed: 0,
    exhausted: 0,
    dead: 0,
  });
}

forEachBackend('job queue runtime', (backend: Dialect) => {
  /** `runOn` gives the runtime another view of the store (claims slowed down, say); the test gets the store itself. */
  async function setup(options: JobQueueOptions = {}, runOn: (store: QueueStore) => QueueStore = (store) => store) {
    const clock = new ManualClock();
    const dbs = await openDatabases(await freshConfig(backend), { clock });
    cleanups.push(() => dbs.close());
    const store = dbs.replicator.queue('replication');
    const logger = new RecordingLogger();
    const queue = createJobQueue(runOn(store), { pollIntervalMs: 5, logger, ...options });
    cleanups.push(() => queue.stop({ timeoutMs: 0 }));
    return { clock, store, logger, queue };
  }

  /** Registers a handler that records every delivery, then runs `behaviour`. */
  function recordingHandler(queue: JobQueue, behaviour: (handled: Handled) => void | Promise<void> = () => {}, onFailure?: Parameters<JobQueue['register']>[2]) {
    const handled: Handled[] = [];
    queue.register(
      JOB,
      (bytes, context) => {
        const entry = { payload: bytes.toString('utf8'), context };
        handled.push(entry);
        return behaviour(entry);
      },
      onFailure,
    );
    return handled;
  }

  it('runs a job with its payload and context, and deletes the message', async () => {
    const { store, queue, logger } = await setup();
    const handled = recordingHandler(queue);
    queue.start();
    const id = await queue.enqueue(JOB, payload('one'));

    await until('the job ran', () => handled.length === 1);
    await queue.stop();
    expect(handled[0]!.payload).toBe(`${SECRET}:one`);
    expect(handled[0]!.context).toMatchObject({ jobName: JOB, messageId: id, delivery: 1, maxDeliveries: store.settings.maxDeliveries });
    expect(handled[0]!.context.signal.aborted).toBe(false);
    await expectEmpty(store);
    expect(logger.entries).toEqual([]);
  });

  it("enqueues Piri's envelope, receivable once the delay asked for has passed", async () => {
    const { clock, store, queue } = await setup();
    recordingHandler(queue);
    queue.start();
    const trace = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
    const id = await queue.enqueue(JOB, Buffer.from('{"a":1}'), { delayMs: 60_000, trace });
    await queue.stop();

    expect(await store.receive()).toBeUndefined();
    clock.advance(60_000);
    const message = await store.receive();
    expect(message?.id).toBe(id);
    expect(message?.body.toString('utf8')).toBe(
      '{"name":"transfer-task","message":"eyJhIjoxfQ==","trace":{"trace_id":"0af7651916cd43dd8448eb211c80319c",' +
        '"span_id":"b7ad6b7169203331","trace_flags":1}}\n',
    );
  });

  it('dead-letters a PermanentError at once, reason permanent_error, after onFailure', async () => {
    const { store, queue, logger } = await setup();
    const failures: { payload: string; error: Error; delivery: number; deadLettersBefore: number }[] = [];
    recordingHandler(
      queue,
      () => {
        throw new Error('could not fetch blob', { cause: new PermanentError('blob does not exist') });
      },
      {
        onFailure: async (bytes, error, context) => {
          const deadLettersBefore = (await store.deadLetters()).length;
          failures.push({ payload: bytes.toString('utf8'), error, delivery: context.delivery, deadLettersBefore });
        },
      },
    );
    queue.start();
    const id = await queue.enqueue(JOB, payload('permanent'));

    await until('the job is dead-lettered', async () => (await store.deadLetters()).length === 1);
    const [dead] = await store.deadLetters();
    expect(dead).toMatchObject({ id, jobName: JOB, reason: 'permanent_error', received: 1 });
    expect(dead!.error).toBe('could not fetch blob: blob does not exist');
    expect(dead!.body.equals(encode(JOB, payload('permanent')))).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ payload: `${SECRET}:permanent`, delivery: 1, deadLettersBefore: 0 });
    expect(failures[0]!.error.message).toBe('could not fetch blob');
    await queue.stop();
    expect(logger.text()).not.toContain(SECRET);
  });

  it('dead-letters the job when its last allowed delivery fails, reason max_retries', async () => {
    const { store, queue, logger } = await setup({ backoff: { baseMs: 0, jitter: 0 } });
    const failures: number[] = [];
    const handled = recordingHandler(
      queue,
      () => Promise.reject(new Error('peer unreachable')),
      { onFailure: (_bytes, _error, context) => void failures.push(context.delivery) },
    );
    queue.start();
    await queue.enqueue(JOB, payload('flaky'));

    await until('the job is dead-lettered', async () => (await store.deadLetters()).length === 1);
    const max = store.settings.maxDeliveries;
    const [dead] = await store.deadLetters();
    expect(dead).toMatchObject({ jobName: JOB, reason: 'max_retries', received: max, error: 'peer unreachable' });
    expect(handled.map((entry) => entry.context.delivery)).toEqual(Array.from({ length: max }, (_, i) => i + 1));
    expect(failures).toEqual([max]);
    await queue.stop();
    expect(logger.entries.filter((entry) => entry.level === 'warn')).toHaveLength(max - 1);
    expect(logger.text()).not.toContain(SECRET);
  });

  it('retries a failed job once its backoff has passed, with the delay growing per delivery', async () => {
    const { clock, store, queue } = await setup({ backoff: { baseMs: 1_000, factor: 2, jitter: 0 } });
    const extend = vi.spyOn(store, 'extend');
    const handled = recordingHandler(queue, ({ context }) => {
      if (context.delivery < 3) throw new Error(`attempt ${context.delivery} failed`);
    });
    queue.start();
    const id = await queue.enqueue(JOB, payload('retry'));
    const backedOff = (ms: number) => extend.mock.calls.some(([messageId, delay]) => messageId === id && delay === ms);

    await until('the first failure is backed off by 1 s', () => backedOff(1_000));
    expect(await store.receive()).toBeUndefined();
    clock.advance(1_000);
    await until('the second failure is backed off by 2 s', () => backedOff(2_000));
    clock.advance(1_999);
    expect(await store.receive()).toBeUndefined();
    clock.advance(1);
    await until('the third delivery succeeded', () => handled.length === 3);
    await queue.stop();
    expect(handled.map((entry) => entry.context.delivery)).toEqual([1, 2, 3]);
    await expectEmpty(store);
  });

  it('dead-letters an undecodable body and an unknown job name at once, with clear errors', async () => {
    const { store, queue, logger } = await setup();
    const handled = recordingHandler(queue);
    const garbage = await store.send(Buffer.from(`${SECRET} is not an envelope`));
    const unknown = await store.send(encode('no-such-job', payload('unknown')));
    queue.start();

    await until('both are dead-lettered', async () => (await store.deadLetters()).length === 2);
    await queue.stop();
    const dead = new Map((await store.deadLetters()).map((letter) => [letter.id, letter]));
    expect(dead.get(garbage!)).toMatchObject({ reason: 'permanent_error', received: 1 });
    expect(dead.get(garbage!)!.error).toMatch(/^decode message envelope: /);
    expect(dead.get(unknown!)).toMatchObject({
      jobName: 'no-such-job',
      reason: 'permanent_error',
      received: 1,
      error: 'job "no-such-job" not registered on JobQueue[replication]',
    });
    expect(handled).toEqual([]);
    expect(logger.entries.filter((entry) => entry.level === 'error')).toHaveLength(2);
    expect(logger.text()).not.toContain(SECRET);
  });

  it('treats a synchronous throw and a rejection with a non-Error as retryable failures', async () => {
    const { store, queue, logger } = await setup({ backoff: { baseMs: 0, jitter: 0 } });
    const deliveries: number[] = [];
    queue.register(JOB, (_bytes, context) => {
      deliveries.push(context.delivery);
      if (context.delivery === 1) throw 'thrown string';
      if (context.delivery === 2) return Promise.reject(42);
      return undefined;
    });
    queue.start();
    await queue.enqueue(JOB, payload('odd failures'));

    await until('the third delivery ran', () => deliveries.length === 3);
    await queue.stop();
    expect(deliveries).toEqual([1, 2, 3]);
    expect(logger.entries.map((entry) => entry.fields.error)).toEqual(['thrown string', '42']);
    await expectEmpty(store);
  });

  it('dead-letters the job even when onFailure throws', async () => {
    const { store, queue, logger } = await setup();
    recordingHandler(
      queue,
      () => {
        throw new PermanentError('bad request');
      },
      {
        onFailure: () => {
          throw new Error('receipt service down');
        },
      },
    );
    queue.start();
    await queue.enqueue(JOB, payload('onFailure throws'));

    await until('the job is dead-lettered', async () => (await store.deadLetters()).length === 1);
    await queue.stop();
    expect((await store.deadLetters())[0]).toMatchObject({ reason: 'permanent_error', error: 'bad request' });
    expect(logger.entries.some((entry) => entry.message.includes('onFailure threw') && entry.fields.error === 'receipt service down')).toBe(true);
  });

  it('stop waits for running jobs, refuses new work meanwhile, and deletes them before returning', async () => {
    const { store, queue } = await setup({ maxWorkers: 3 });
    const release = gate();
    const handled = recordingHandler(queue, () => release.opened);
    queue.start();
    for (const n of [1, 2, 3]) await queue.enqueue(JOB, payload(`slow ${n}`));
    await until('three jobs are running', () => handled.length === 3);

    let stopped = false;
    const stopping = queue.stop({ timeoutMs: 60_000 }).then(() => (stopped = true));
    await expect(queue.enqueue(JOB, payload('late'))).rejects.toThrow('job queue is stopping');
    await sleep(20);
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(handled.every((entry) => !entry.context.signal.aborted)).toBe(true);
    await expectEmpty(store);
  });

  it('stop gives up after its timeout: aborts the signal, writes no outcome, and the messages come back', async () => {
    // One job running, one claimed ahead and waiting for the single worker.
    const { clock, store, queue } = await setup({ maxWorkers: 1, prefetch: 1, backoff: { baseMs: 0, jitter: 0 } });
    let settled = false;
    const failures: number[] = [];
    const handled = recordingHandler(
      queue,
      async ({ context }) => {
        try {
          await new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(context.signal.reason)));
        } finally {
          settled = true;
        }
      },
      { onFailure: (_bytes, _error, context) => void failures.push(context.delivery) },
    );
    const ids = await store.sendMany([encode(JOB, payload('stuck')), encode(JOB, payload('waiting'))]);
    queue.start();
    await until('the first job is running', () => handled.length === 1);
    await until('the second message is claimed too', async () => (await store.stats()).inFlight === 2);

    const error = await queue.stop({ timeoutMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StopTimeoutError);
    expect((error as StopTimeoutError).abandoned).toBe(2);
    expect((error as Error).message).toMatch(/^stop timeout: /);
    expect(handled[0]!.context.signal.aborted).toBe(true);
    await until('the handler has rejected', () => settled);
    await sleep(20);
    // A retry with backoff 0 would make it receivable now: nothing was written, the claims simply run out.
    expect(await store.receive()).toBeUndefined();
    expect(handled).toHaveLength(1);
    expect(failures).toEqual([]);
    clock.advance(store.settings.visibilityTimeoutMs);
    const back = [await store.receive(), await store.receive()];
    expect(back.map((message) => message?.id).sort()).toEqual([...ids].sort());
    expect(back.map((message) => message?.received)).toEqual([2, 2]);
  });

  it('stop runs the messages already claimed ahead before returning', async () => {
    const { store, queue } = await setup({ maxWorkers: 2, prefetch: 2 });
    const release = gate();
    const handled = recordingHandler(queue, () => release.opened);
    await store.sendMany([1, 2, 3].map((n) => encode(JOB, payload(`claimed ${n}`))));
    queue.start();
    await until('all three are claimed', async () => (await store.stats()).inFlight === 3);
    expect(handled).toHaveLength(2);

    const stopping = queue.stop({ timeoutMs: 60_000 });
    release.open();
    await stopping;
    expect(handled.map((entry) => entry.payload)).toEqual([1, 2, 3].map((n) => `${SECRET}:claimed ${n}`));
    await expectEmpty(store);
  });

  it('claims no more than maxWorkers ahead before one of its jobs has finished', async () => {
    // A new process cannot tell short jobs from long ones yet; a full prefetch of long ones would sit in it, hidden.
    const { store, queue } = await setup({ maxWorkers: 1, prefetch: 8 });
    const release = gate();
    const handled = recordingHandler(queue, () => release.opened);
    await store.sendMany(Array.from({ length: 12 }, (_, n) => encode(JOB, payload(`long ${n}`))));
    queue.start();
    await until('one runs and one waits', async () => handled.length === 1 && (await store.stats()).inFlight === 2);
    await sleep(50);
    expect((await store.stats()).inFlight).toBe(2);
    release.open();
    await until('all twelve are handled', () => handled.length === 12);
    await queue.stop();
    await expectEmpty(store);
  });

  /** The store with every claim taking `delayMs` longer, and the size of each batch it handed out recorded. */
  function slowClaims(delayMs: number, batches: number[]): (store: QueueStore) => QueueStore {
    return (store) =>
      new Proxy(store, {
        get(target, key: keyof QueueStore) {
          if (key === 'receiveMany') {
            return async (limit: number) => {
              await sleep(delayMs);
              const batch = await target.receiveMany(limit);
              batches.push(batch.length);
              return batch;
            };
          }
          // The queue classes keep state in private fields: everything else is called on the store itself.
          const value = target[key];
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
  }

  it('claims a deep queue of short jobs hundreds at a time once a claim takes longer than a job, and deletes as many at once', async () => {
    const batches: number[] = [];
    const { store, queue, logger } = await setup({ maxWorkers: 1 }, slowClaims(20, batches));
    const handled = recordingHandler(queue);
    const deletes = vi.spyOn(store, 'deleteMany');
    const ids = await store.sendMany(Array.from({ length: 3_000 }, (_, n) => encode(JOB, payload(`short ${n}`))));
    queue.start();
    await until('all are handled', () => handled.length === 3_000);
    await queue.stop();
    expect(new Set(handled.map((entry) => entry.context.messageId))).toEqual(new Set(ids));
    // The first claim knows nothing of job length (maxWorkers ahead); once the averages show jobs far shorter than a
    // claim, claims take hundreds (with the fixed prefetch of before: at most maxWorkers + 32).
    expect(batches[0]).toBe(2);
    expect(Math.max(...batches)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...batches)).toBeLessThanOrEqual(1_000);
    // And their successes are deleted a claim's worth at a time (completionBatchSize 1,000; it was 100).
    expect(Math.max(...deletes.mock.calls.map(([deleted]) => deleted.length))).toBeGreaterThan(100);
    await expectEmpty(store);
    expect(logger.entries).toEqual([]);
  });

  it('claims ahead no more than 64 MiB of bodies, whatever prefetch allows', async () => {
    const batches: number[] = [];
    // Slow claims, so that the jobs (decoding 8 MiB each) are the faster and the pool wants to claim ahead.
    const { store, queue, logger } = await setup({ maxWorkers: 1, prefetch: 100 }, slowClaims(300, batches));
    const handled = recordingHandler(queue);
    const big = Buffer.alloc(6 * 2 ** 20, 'x');
    const body = encode(JOB, big);
    expect(body.length).toBeGreaterThan(8 * 2 ** 20);
    await store.sendMany(Array.from({ length: 16 }, () => body));
    queue.start();
    await until('all are handled', () => handled.length === 16, 60_000);
    await queue.stop();
    // Bodies just over 8 MiB: 7 fit in 64 MiB, so a claim takes at most a free worker's one and 7 ahead.
    expect(batches.reduce((sum, n) => sum + n, 0)).toBe(16);
    expect(Math.max(...batches)).toBeLessThanOrEqual(8);
    expect(Math.max(...batches)).toBeGreaterThan(2);
    await expectEmpty(store);
    expect(logger.entries).toEqual([]);
  });

  it('keeps renewing the claim of a message waiting for a worker', async () => {
    const { clock, store, queue } = await setup({ maxWorkers: 1, prefetch: 1, extendIntervalMs: 10 });
    const extend = vi.spyOn(store, 'extend');
    const release = gate();
    const handled = recordingHandler(queue, () => release.opened);
    const [, waiting] = await store.sendMany([encode(JOB, payload('long')), encode(JOB, payload('next'))]);
    queue.start();
    await until('one runs and one waits', async () => handled.length === 1 && (await store.stats()).inFlight === 2);

    clock.advance(store.settings.visibilityTimeoutMs - 1_000);
    const renewalsOfWaiting = () => extend.mock.calls.filter(([id]) => id === waiting).length;
    const before = renewalsOfWaiting();
    await until('the waiting claim was renewed twice after the clock moved', () => renewalsOfWaiting() >= before + 2);
    clock.advance(2_000);
    expect(await store.receive()).toBeUndefined();

    release.open();
    await queue.stop();
    expect(handled.map((entry) => entry.context.messageId)[1]).toBe(waiting);
    await expectEmpty(store);
  });

  it('keeps Piri lifecycle rules and error texts', async () => {
    const { queue } = await setup();
    recordingHandler(queue);
    expect(() => queue.register(JOB, () => {})).toThrow(`job "${JOB}" already registered`);
    await expect(queue.enqueue(JOB, payload('early'))).rejects.toThrow('JobQueue[replication] not started, must start before enqueuing a job');
    await expect(queue.stop()).rejects.toThrow('JobQueue[replication] not started, must start before stopping job');
    queue.start();
    expect(() => queue.start()).toThrow('JobQueue[replication] already started');
    expect(() => queue.register('other', () => {})).toThrow('JobQueue[replication] already started, cannot register job on running job queue');
    await expect(queue.enqueue('other', payload('typo'))).rejects.toThrow('job "other" not registered on JobQueue[replication]');
    await queue.stop();
    await expect(queue.stop()).rejects.toThrow('job queue is already stopping');
    await expect(queue.enqueue(JOB, payload('late'))).rejects.toThrow('job queue is stopping');
  });

  it("renews a long job's claim to now + the queue's visibility timeout, so nobody else receives it", async () => {
    const { clock, store, queue } = await setup({ maxWorkers: 1, extendIntervalMs: 10 });
    const extend = vi.spyOn(store, 'extend');
    const release = gate();
    const handled = recordingHandler(queue, () => release.opened);
    queue.start();
    const id = await queue.enqueue(JOB, payload('long'));
    await until('the job is running', () => handled.length === 1);

    const visibility = store.settings.visibilityTimeoutMs;
    clock.advance(visibility - 1_000);
    const renewalsBefore = extend.mock.calls.length;
    await until('the claim was renewed twice after the clock moved', () => extend.mock.calls.length >= renewalsBefore + 2);
    clock.advance(2_000); // past the window the receive opened
    expect(await store.receive()).toBeUndefined();
    expect((await store.stats()).inFlight).toBe(1);
    expect(extend.mock.calls.every(([messageId, ms]) => messageId === id && ms === visibility)).toBe(true);

    release.open();
    await queue.stop();
    expect(handled).toHaveLength(1);
    await expectEmpty(store);
  });

  it('sweeps a message whose last delivery died with its process to the dead letters', async () => {
    const { clock, store, queue } = await setup({ sweepIntervalMs: 10 });
    const handled = recordingHandler(queue);
    const id = await store.send(encode(JOB, payload('orphan')));
    // Deliveries taken by processes that died without an outcome; the last one's window is still open.
    for (let delivery = 1; delivery <= store.settings.maxDeliveries; delivery++) {
      if (delivery > 1) clock.advance(store.settings.visibilityTimeoutMs);
      expect(await store.receive()).toMatchObject({ id, received: delivery });
    }
    queue.start();
    await sleep(30);
    expect(await store.deadLetters()).toEqual([]);

    clock.advance(store.settings.visibilityTimeoutMs);
    await until('the sweep moved it', async () => (await store.deadLetters()).length === 1);
    await queue.stop();
    expect((await store.deadLetters())[0]).toMatchObject({ id, jobName: JOB, reason: 'max_retries' });
    expect(handled).toEqual([]);
  });

  it('runs the jobs of a dedup queue the same way', async () => {
    const clock = new ManualClock();
    const dbs = await openDatabases(await freshConfig(backend), { clock });
    cleanups.push(() => dbs.close());
    const store = dbs.aggregator.dedupQueue('aggregator');
    const queue = createJobQueue(store, { pollIntervalMs: 5, logger: new RecordingLogger() });
    cleanups.push(() => queue.stop({ timeoutMs: 0 }));
    const handled: string[] = [];
    queue.register('aggregate_piece', (bytes) => {
      handled.push(bytes.toString('utf8'));
      if (bytes.toString('utf8') === 'bad piece') throw new PermanentError('piece is not a CAR');
    });
    queue.start();
    await queue.enqueue('aggregate_piece', Buffer.from('good piece'));
    const bad = await queue.enqueue('aggregate_piece', Buffer.from('bad piece'));

    await until('both are done', async () => {
      const stats = await store.stats();
      return stats.dead === 1 && stats.ready + stats.inFlight + stats.delayed === 0;
    });
    await queue.stop();
    expect(handled.sort()).toEqual(['bad piece', 'good piece']);
    expect((await store.deadLetters())[0]).toMatchObject({ id: bad, jobName: 'aggregate_piece', reason: 'permanent_error', received: 1 });
    // The success was recorded through the batched delete: the key is done, a repeat is skipped.
    expect(await store.send(encode('aggregate_piece', Buffer.from('good piece')))).toBeUndefined();
  });

  it('runs 250 jobs on 8 workers, each exactly once', async () => {
    const { store, queue } = await setup({ maxWorkers: 8 });
    const seen = new Map<string, number>();
    let running = 0;
    let mostRunning = 0;
    queue.register(JOB, async (bytes) => {
      running++;
      mostRunning = Math.max(mostRunning, running);
      seen.set(bytes.toString('utf8'), (seen.get(bytes.toString('utf8')) ?? 0) + 1);
      await sleep(Math.floor(Math.random() * 3));
      running--;
    });
    const count = 250;
    await store.sendMany(Array.from({ length: count }, (_, n) => encode(JOB, payload(`job ${n}`))));
    queue.start();

    await until('every job ran', () => seen.size === count);
    await queue.stop();
    expect([...seen.values()].every((times) => times === 1)).toBe(true);
    expect(mostRunning).toBeLessThanOrEqual(8);
    expect(mostRunning).toBeGreaterThan(1);
    await expectEmpty(store);
  });
});
