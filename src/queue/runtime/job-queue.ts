/**
 * The job queue: Piri's JobQueue (lib/jobqueue) over one QueueStore. Handlers are registered by job name, messages
 * are Piri's envelopes, and the lifecycle keeps Piri's rules and error texts:
 *
 *   register ... -> start() -> enqueue ... -> stop()
 *
 * register after start, enqueue before start or once stop began, a second start and a second stop all fail.
 *
 * Stop semantics (a deliberate difference from Piri, whose Stop cancels every running job's context at once):
 * stop() stops claiming, then gives the messages already claimed (running, or claimed ahead and waiting for a
 * worker) up to `timeoutMs` to finish on their own, so a job in the middle of an upload is not cut off at every
 * deploy. Whatever is still running or waiting after that is abandoned: signals are aborted, no outcome is written
 * (not even onFailure on a last delivery) and claims are no longer renewed, so those messages are delivered again
 * once their visibility window passes; with `release`, they are given back at once instead, the delivery not
 * counted, and messages claimed ahead are given back as soon as stop() begins. Nothing is lost; a job may run
 * twice, which at-least-once delivery allows anyway. Before stop() returns, every outcome write under way and every batched delete has completed, so the
 * store may be closed right after.
 */
import { checkBodySize, checkNameLength } from '../arguments.ts';
import { encode, encodedLength, type EnvelopeTrace } from '../envelope.ts';
import type { QueueStore } from '../types.ts';
import { Completions } from './completions.ts';
import { describeError, JobQueueStateError, StopTimeoutError } from './errors.ts';
import { JobQueueEmitter, type JobQueueEventName, type JobQueueListener } from './events.ts';
import { Executor, type FailureHandler, type JobHandler, type Registration } from './executor.ts';
import { type JobQueueOptions, resolveOptions } from './options.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';
import { queueTelemetry } from './telemetry.ts';
import { WorkerPool } from './worker-pool.ts';

/** Options of JobQueue.register for one job name: the hook that runs before a failed job is dead-lettered. */
export interface RegisterOptions {
  /** Runs before the job is dead-lettered for a failure (permanent, or on its last delivery). Its own errors are logged. */
  readonly onFailure?: FailureHandler;
}

/** Options of JobQueue.enqueue: a delay and the trace context to carry in the envelope. */
export interface EnqueueOptions {
  /** Not delivered before now + delayMs. */
  readonly delayMs?: number;
  /** Trace context of the enqueuing span, stored in the envelope as Piri does. */
  readonly trace?: EnvelopeTrace;
}

/** How JobQueue.stop treats jobs still running: how long to wait, and whether their claims are given back. */
export interface StopOptions {
  /**
   * Grace period for running jobs before they are aborted and abandoned. Default 10 s. A number >= 0; Infinity (or
   * anything longer than a timer can wait, about 24.8 days) waits for every job however long it takes.
   */
  readonly timeoutMs?: number;
  /**
   * Give claims back instead of letting them lapse: messages claimed ahead are released at once (not started), and
   * jobs still running when the grace period ends are released after their signals are aborted. Released messages
   * are receivable at once by another process, and the delivery is not counted. Default false: they are delivered
   * again once their visibility window passes, with the delivery counted.
   */
  readonly release?: boolean;
}

/** The worker runtime over one queue: register handlers by job name, start, enqueue, stop. Made by createJobQueue. */
export interface JobQueue {
  readonly name: string;
  register(jobName: string, handler: JobHandler, options?: RegisterOptions): void;
  start(): void;
  /**
   * Resolves with the message id; undefined when a dedup queue skipped the job as a duplicate. A payload whose
   * envelope would exceed MAX_BODY_BYTES is refused with a QueueError (INVALID_ARGUMENT) before anything is written.
   */
  enqueue(jobName: string, payload: Uint8Array, options?: EnqueueOptions): Promise<string | undefined>;
  /** Rejects with StopTimeoutError when jobs had to be abandoned; everything is released either way. */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Subscribes to what the queue reports as it works (events.ts lists each event and its fields). Listeners run
   * synchronously; one that throws is logged and changes nothing. Returns the function that unsubscribes.
   */
  on<E extends JobQueueEventName>(event: E, listener: JobQueueListener<E>): () => void;
}

/** How long JobQueue.stop waits for running jobs by default, in ms. */
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * A job name as it comes back from the envelope, which is what a handler is looked up by: an unpaired surrogate has
 * no UTF-8 form and travels as U+FFFD (as in Go). Without this a job registered and enqueued under such a name could
 * never run ("not registered", dead-lettered). A name that is not a non-empty string could never be enqueued or read;
 * one over MAX_NAME_BYTES could not be a dedup queue's key on Postgres, and is refused on every queue alike.
 */
function wireName(jobName: unknown): string {
  if (typeof jobName !== 'string' || jobName === '') {
    throw new TypeError(`job name must be a non-empty string, got ${typeof jobName === 'string' ? '""' : String(jobName)}`);
  }
  return checkNameLength(jobName.replace(/[\ud800-\udfff]/gu, '\ufffd'), 'job name');
}

type State = 'created' | 'started' | 'stopping';

/**
 * A worker runtime for `store` (from Store.queue or Store.dedupQueue): claims in batches, renews leases, retries with
 * backoff and dead-letters. It logs through `options.logger`, else the logger the store's installation was opened
 * with (openDatabases), else to stderr. Throws a RangeError for an invalid option; nothing runs before start().
 */
export function createJobQueue(store: QueueStore, options: JobQueueOptions = {}): JobQueue {
  const name = store.name;
  const logger = options.logger ?? store.services?.logger;
  const resolved = resolveOptions(name, store.settings, logger === undefined ? options : { ...options, logger });
  const registrations = new Map<string, Registration>();
  const completions = new Completions(store, resolved.completionBatchSize, resolved.completionDelayMs, (error, ids) =>
    resolved.logger.error('could not delete completed messages; they will be delivered again after their visibility window', {
      queue: name,
      messages: ids.length,
      error: describeError(error),
    }),
  );
  const events = new JobQueueEmitter(resolved.logger);
  const telemetry = queueTelemetry(name);
  const shared = { ...resolved, events, telemetry };
  const executor = new Executor(store, registrations, completions, { ...shared, retryScheduled: (delayMs) => pool.retryIn(delayMs) });
  const pool = new WorkerPool(store, executor, shared);
  let state: State = 'created';
  let sweeper: Sweeper | undefined;
  let stopObserving: (() => void) | undefined;

  return {
    name,

    on: (event, listener) => events.on(event, listener),

    register(jobName, handler, { onFailure } = {}) {
      if (state !== 'created') throw new JobQueueStateError(`JobQueue[${name}] already started, cannot register job on running job queue`);
      const key = wireName(jobName);
      if (registrations.has(key)) throw new JobQueueStateError(`job "${jobName}" already registered`);
      registrations.set(key, onFailure === undefined ? { handler } : { handler, onFailure });
    },

    start() {
      if (state !== 'created') throw new JobQueueStateError(`JobQueue[${name}] already started`);
      state = 'started';
      sweeper = startSweeper(store, resolved.sweepIntervalMs, resolved.logger);
      stopObserving = telemetry.observe(() => store.stats());
      pool.start();
    },

    async enqueue(jobName, payload, { delayMs, trace } = {}) {
      if (state === 'created') throw new JobQueueStateError(`JobQueue[${name}] not started, must start before enqueuing a job`);
      if (state === 'stopping') throw new JobQueueStateError('job queue is stopping');
      // Piri accepts any name here and panics when the job comes back; refusing it now keeps the typo with its caller.
      if (!registrations.has(wireName(jobName))) throw new JobQueueStateError(`job "${jobName}" not registered on JobQueue[${name}]`);
      // Checked before encoding: the envelope is a third larger than the payload, and one past the limit is refused
      // by send anyway, after the work (and, from about 384 MiB, the base64 text would not fit in a string).
      checkBodySize(encodedLength(jobName, payload.byteLength, trace), `the message body for a payload of ${payload.byteLength} bytes`);
      return telemetry.send(jobName, trace, (stored) => store.send(encode(jobName, payload, stored), delayMs === undefined ? undefined : { delayMs }));
    },

    async stop({ timeoutMs = DEFAULT_STOP_TIMEOUT_MS, release = false } = {}) {
      if (state === 'created') throw new JobQueueStateError(`JobQueue[${name}] not started, must start before stopping job`);
      if (state === 'stopping') throw new JobQueueStateError('job queue is already stopping');
      if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
        throw new RangeError(`JobQueue[${name}]: stop timeoutMs must be a number >= 0 (Infinity waits for every job), got ${String(timeoutMs)}`);
      }
      if (typeof release !== 'boolean') throw new TypeError(`JobQueue[${name}]: stop release must be a boolean, got ${String(release)}`);
      state = 'stopping';
      const abandoned = (await pool.drain(timeoutMs, release)) ? 0 : await executor.abandon(release);
      await sweeper?.stop();
      await completions.flush();
      // The claims of completed jobs are renewed until their deletes are written: let the last renewals land.
      await executor.settled();
      stopObserving?.();
      events.emit('stopped', { queue: name, abandoned });
      if (abandoned > 0) throw new StopTimeoutError(name, abandoned, timeoutMs, release);
    },
  };
}
