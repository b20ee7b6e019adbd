/**
 * The worker runtime under arbitrary options, on both backends: createJobQueue either accepts them or throws a
 * RangeError naming the option (the documented rules are restated here), an accepted queue starts and stops, and
 * stop() takes any timeout >= 0, Infinity included, refusing anything else by name. No timer is ever asked to wait
 * longer than Node.js can (2^31 - 1 ms): such a timer fires after 1 ms instead, which turned a 30-day window into a
 * renewal every millisecond and `stop({ timeoutMs: Infinity })` into "abandon every job now".
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueueLogger, type JobQueueOptions } from '../../src/queue/runtime/index.ts';
import { forEachBackend } from '../support/installations.ts';
import { useInstallation } from '../support/queues.ts';
import { QueueError } from '../../src/errors.ts';
import { anyNumberish, fcParameters, hostileString, wellFormed } from './support.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;
const DEFAULT_BACKOFF = { baseMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.2 };

const warnings: Error[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
beforeAll(() => {
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
});

const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isInteger = (v: unknown, min: number) => Number.isInteger(v) && (v as number) >= min;
const isTimer = (v: unknown, min: number) => isNumber(v) && v >= min && v <= MAX_TIMER_MS;

/** The option the runtime must refuse first, in its documented order; undefined when all are valid. */
function refusedOption(options: Record<string, unknown>, visibilityMs: number): string | undefined {
  const backoff = { ...DEFAULT_BACKOFF, ...given((options.backoff ?? {}) as object) } as Record<string, unknown>;
  if (!(Number.isFinite(backoff.baseMs) && (backoff.baseMs as number) >= 0)) return 'backoff.baseMs';
  if (!(Number.isFinite(backoff.factor) && (backoff.factor as number) >= 1)) return 'backoff.factor';
  if (!(Number.isFinite(backoff.maxMs) && (backoff.maxMs as number) >= (backoff.baseMs as number))) return 'backoff.maxMs';
  if (!(isNumber(backoff.jitter) && backoff.jitter >= 0 && backoff.jitter <= 1)) return 'backoff.jitter';
  const maxWorkers = options.maxWorkers ?? 1;
  if (!isInteger(maxWorkers, 1)) return 'maxWorkers';
  if (!isInteger(options.prefetch ?? maxWorkers, 0)) return 'prefetch';
  if (!isTimer(options.pollIntervalMs ?? 100, Number.MIN_VALUE)) return 'pollIntervalMs';
  if (!isTimer(options.idlePollIntervalMs ?? 10_000, Number.MIN_VALUE)) return 'idlePollIntervalMs';
  const extend = options.extendIntervalMs ?? Math.min(Math.floor(visibilityMs / 2), MAX_TIMER_MS);
  if (!(isTimer(extend, Number.MIN_VALUE) && (extend as number) < visibilityMs)) return 'extendIntervalMs';
  if (!isTimer(options.sweepIntervalMs ?? Math.min(Math.max(visibilityMs, 30_000), MAX_TIMER_MS), Number.MIN_VALUE)) return 'sweepIntervalMs';
  if (!isInteger(options.completionBatchSize ?? 100, 1)) return 'completionBatchSize';
  if (!isTimer(options.completionDelayMs ?? 2, 0)) return 'completionDelayMs';
  return undefined;
}

const maybe = (arbitrary: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary, weight: 1 });
const timer = fc.oneof(anyNumberish, fc.integer({ min: 1, max: 1_000 }), fc.constantFrom(MAX_TIMER_MS, MAX_TIMER_MS + 1, 30 * 86_400_000));
const options = fc.record({
  maxWorkers: maybe(fc.oneof(fc.integer({ min: 1, max: 8 }), anyNumberish)),
  prefetch: maybe(fc.oneof(fc.integer({ min: 0, max: 8 }), anyNumberish)),
  pollIntervalMs: maybe(timer),
  idlePollIntervalMs: maybe(timer),
  extendIntervalMs: maybe(timer),
  sweepIntervalMs: maybe(timer),
  completionBatchSize: maybe(fc.oneof(fc.integer({ min: 1, max: 200 }), anyNumberish)),
  completionDelayMs: maybe(timer),
  backoff: maybe(fc.record({ baseMs: maybe(anyNumberish), factor: maybe(anyNumberish), maxMs: maybe(anyNumberish), jitter: maybe(anyNumberish) })),
});
/** Windows a timer can and cannot wait for (a 30-day window must still be renewed and swept by timers that work). */
const visibility = fc.constantFrom(1_000, 5_000, 60_000, 30 * 86_400_000, 1e12);
const stopTimeout = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constantFrom(0, 10, Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1), weight: 2 },
  { arbitrary: anyNumberish, weight: 2 },
);

/** Drops undefined keys: an option given as undefined takes its default, as one left out. */
function given<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

let queues = 0;

forEachBackend('worker runtime under arbitrary options', (backend) => {
  const env = useInstallation(backend);
  const logs: string[] = [];
  const logger: JobQueueLogger = { warn: (m) => logs.push(`warn ${m}`), error: (m, f) => logs.push(`error ${m} ${JSON.stringify(f)}`) };

  it('accepts the options the rules allow, refuses any other naming it, and starts and stops with any valid timeout', async () => {
    await fc.assert(
      fc.asyncProperty(options, visibility, stopTimeout, async (raw, visibilityTimeoutMs, timeoutMs) => {
        logs.length = 0; // each case stands alone, so a shrunk counterexample is the case that logged
        const store = env.dbs.replicator.queue(`runtime-${++queues}`, { visibilityTimeoutMs });
        // Options given as undefined, at the top or in backoff, take their defaults like options left out.
        const refused = refusedOption(raw, visibilityTimeoutMs);
        let queue;
        try {
          queue = createJobQueue(store, { ...(raw as JobQueueOptions), maxWorkers: (raw.maxWorkers ?? 1) as number, logger });
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          expect(refused, `refused: ${(error as Error).message}`).toBeDefined();
          expect((error as Error).message).toContain(`${refused} must be`);
          return;
        }
        expect(refused, 'accepted').toBeUndefined();
        queue.register('transfer-task', () => {});
        queue.start();
        const stopped = await queue.stop(timeoutMs === undefined ? undefined : { timeoutMs: timeoutMs as number }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (timeoutMs === undefined || (isNumber(timeoutMs) && timeoutMs >= 0)) {
          expect(stopped).toBeUndefined();
        } else {
          expect(stopped).toBeInstanceOf(RangeError);
          expect((stopped as Error).message).toContain('timeoutMs must be a number >= 0');
          await queue.stop(); // still running: a refused stop() changed nothing
        }
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning').map((w) => w.message)).toEqual([]);
        expect(logs).toEqual([]);
      }),
      fcParameters(60),
    );
  });

  it('stop({ timeoutMs: Infinity }) and longer than a timer can wait let a running job finish instead of abandoning it', async () => {
    for (const timeoutMs of [Number.POSITIVE_INFINITY, MAX_TIMER_MS + 1]) {
      const store = env.dbs.replicator.queue(`runtime-${++queues}`, { visibilityTimeoutMs: 5_000 });
      const queue = createJobQueue(store, { maxWorkers: 1, pollIntervalMs: 5, logger });
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let finish!: () => void;
      queue.register('transfer-task', () => {
        started();
        return new Promise<void>((resolve) => (finish = resolve));
      });
      queue.start();
      await queue.enqueue('transfer-task', Buffer.from('x'));
      await running;
      const stopping = queue.stop({ timeoutMs });
      // The job ends only after stop() has begun waiting; a 1 ms timer would have abandoned it by then.
      await new Promise((resolve) => setTimeout(resolve, 30));
      finish();
      await expect(stopping).resolves.toBeUndefined();
      const stats = await store.stats();
      expect(stats.ready + stats.inFlight + stats.delayed + stats.dead).toBe(0);
    }
    expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('runs a job registered and enqueued under any name, or refuses the name clearly', async () => {
    const jobName = fc.oneof({ arbitrary: hostileString({ maxLength: 10 }), weight: 8 }, { arbitrary: fc.constantFrom<unknown>('', 7, null), weight: 1 });
    await fc.assert(
      fc.asyncProperty(jobName, fc.boolean(), fc.uint8Array({ maxLength: 64 }), async (name, dedup, bytes) => {
        const queueName = `runtime-${++queues}`;
        const store = dedup ? env.dbs.aggregator.dedupQueue(queueName) : env.dbs.replicator.queue(queueName);
        const queue = createJobQueue(store, { maxWorkers: 1, pollIntervalMs: 5, logger });
        let ran!: (job: { payload: Buffer; jobName: string }) => void;
        const job = new Promise<{ payload: Buffer; jobName: string }>((resolve) => (ran = resolve));
        try {
          queue.register(name as string, (payload, context) => ran({ payload, jobName: context.jobName }));
        } catch (error) {
          expect(typeof name !== 'string' || name === '').toBe(true);
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toContain('job name must be a non-empty string');
          return;
        }
        queue.start();
        try {
          const sent = await queue.enqueue(name as string, bytes).then(
            () => undefined,
            (error: unknown) => error,
          );
          if (dedup && (name as string).includes('\u0000')) {
            // The dedup queue keys jobs by name; PostgreSQL text cannot hold U+0000, so neither backend takes it.
            expect(sent).toBeInstanceOf(QueueError);
            expect((sent as Error).message).toContain("body: the envelope's job name must not contain U+0000");
            return;
          }
          expect(sent).toBeUndefined();
          // The handler runs, or the message is dead-lettered as unrunnable (the failure this looks for).
          let settled = false;
          const deadLettered = (async () => {
            while (!settled && (await store.stats()).dead === 0) await new Promise((resolve) => setTimeout(resolve, 10));
            return settled ? undefined : (await store.deadLetters())[0]?.error;
          })();
          const ranOrDead = await Promise.race([job, deadLettered]);
          settled = true;
          await deadLettered;
          expect(ranOrDead, `dead-lettered: ${String(ranOrDead)}`).toBeTypeOf('object');
          const { payload, jobName } = ranOrDead as { payload: Buffer; jobName: string };
          expect(Buffer.compare(payload, Buffer.from(bytes))).toBe(0);
          expect(jobName).toBe(wellFormed(name as string));
        } finally {
          await queue.stop();
        }
        const stats = await store.stats();
        expect(stats.ready + stats.inFlight + stats.delayed + stats.exhausted + stats.dead).toBe(0);
        expect(logs).toEqual([]);
      }),
      fcParameters(25),
    );
  });

  it('an unregistered job name or a body that is not an envelope is dead-lettered at once, whatever it holds', async () => {
    const store = env.dbs.replicator.queue(`runtime-${++queues}`, { visibilityTimeoutMs: 5_000 });
    const queue = createJobQueue(store, { maxWorkers: 2, pollIntervalMs: 5, logger: { warn: () => {}, error: () => {} } });
    queue.register('transfer-task', () => {});
    // Job names a Piri producer might write: NUL and an escaped lone surrogate included. They must not make the
    // dead-letter write fail (the message would be retried, then swept with the cause lost).
    const bodies = [encode('a\u0000b', Buffer.from('1')), Buffer.from('{"name":"\\ud800x","message":""}'), Buffer.from('not json'), encode('transfer-task', Buffer.from('ok'))];
    await store.sendMany(bodies);
    queue.start();
    for (let stats = await store.stats(); stats.dead < 3; stats = await store.stats()) await new Promise((resolve) => setTimeout(resolve, 10));
    await queue.stop();
    const dead = await store.deadLetters();
    expect(dead.map((d) => [d.jobName, d.reason, d.received])).toEqual([
      ['a\ufffdb', 'permanent_error', 1],
      ['\ufffdx', 'permanent_error', 1],
      ['', 'permanent_error', 1],
    ]);
    expect(await store.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 3 });
  });
});
