/**
 * Runs one claimed message and writes its outcome (data-model §4.7, with Piri's dead ends closed):
 *
 *   success                              -> delete (batched, see completions.ts)
 *   PermanentError, at any cause depth   -> onFailure, then dead letter `permanent_error`, at once
 *   failure on the last allowed delivery -> onFailure, then dead letter `max_retries`
 *   any other failure                    -> deadline moved to now + backoff(delivery); delivered again after it
 *   body is not an envelope              -> dead letter `permanent_error` at once (Piri retries it, then leaves it forever)
 *   no handler for the job name          -> dead letter `permanent_error` at once (Piri panics and the process dies)
 *
 * A handler that throws synchronously, rejects with a non-Error or throws from onFailure is one more failure, never
 * a crash. Nothing here throws: a failed write is logged and the message is left where the store has it, which
 * always ends in another delivery or in the sweep (sweeper.ts), never in a lost job.
 */
import { decode, type EnvelopeTrace } from '../envelope.ts';
import type { DeadLetterReason, QueueStore, ReceivedMessage } from '../types.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { Completions } from './completions.ts';
import { asError, describeError, isPermanentError } from './errors.ts';
import type { JobQueueEmitter } from './events.ts';
import { holdLease, type Lease } from './lease.ts';
import type { JobQueueLogger, LogFields } from '../../logger.ts';
import type { QueueTelemetry } from './telemetry.ts';

/** What a handler gets besides the payload. */
export interface JobContext {
  readonly jobName: string;
  readonly messageId: string;
  /** 1 on the first delivery; the message is dead-lettered when the delivery numbered maxDeliveries fails. */
  readonly delivery: number;
  readonly maxDeliveries: number;
  /** Aborted when stop() gives up waiting for running jobs; a handler that honours it ends sooner. */
  readonly signal: AbortSignal;
}

/** A job: the payload bytes (the envelope's message) and the context. Resolving means success. */
export type JobHandler = (payload: Buffer, context: JobContext) => void | Promise<void>;

/** Called before a job is dead-lettered for a failure (not for an undecodable body or an unknown name). */
export type FailureHandler = (payload: Buffer, error: Error, context: JobContext) => void | Promise<void>;

/** A received message whose claim is being held (renewed) until its outcome is written or it is given up. */
export interface HeldMessage {
  readonly message: ReceivedMessage;
  readonly lease: Lease;
}

export interface Registration {
  readonly handler: JobHandler;
  readonly onFailure?: FailureHandler;
}

export interface ExecutorOptions {
  readonly extendIntervalMs: number;
  readonly backoff: BackoffOptions;
  readonly logger: JobQueueLogger;
  /** A failed job comes back in delayMs: no write announces that, so the pool is told. */
  readonly retryScheduled: (delayMs: number) => void;
  readonly events: JobQueueEmitter;
  readonly telemetry: QueueTelemetry;
}

export class Executor {
  readonly #store: QueueStore;
  readonly #registrations: ReadonlyMap<string, Registration>;
  readonly #completions: Completions;
  readonly #options: ExecutorOptions;
  readonly #abort = new AbortController();
  /**
   * Claims held for messages waiting for a worker or inside handler or onFailure code: what abandon() gives up,
   * since it cannot wait for user code.
   */
  readonly #held = new Map<Lease, ReceivedMessage>();
  /** Outcome writes in flight, which abandon() does wait for: each is one store call. */
  readonly #writes = new Set<Promise<void>>();

  constructor(store: QueueStore, registrations: ReadonlyMap<string, Registration>, completions: Completions, options: ExecutorOptions) {
    this.#store = store;
    this.#registrations = registrations;
    this.#completions = completions;
    this.#options = options;
  }

  /**
   * Starts renewing the claim of a message just received, so that it cannot lapse while the message waits for a
   * worker or runs, however long either takes.
   */
  hold(message: ReceivedMessage): HeldMessage {
    const lease = holdLease(
      this.#store,
      message.id,
      this.#options.extendIntervalMs,
      (error) =>
        this.#options.logger.warn('could not renew the claim of a message', {
          queue: this.#store.name,
          messageId: message.id,
          delivery: message.received,
          error: describeError(error),
        }),
      () => this.#options.events.emit('leaseLost', { queue: this.#store.name, messageId: message.id }),
    );
    this.#held.set(lease, message);
    return { message, lease };
  }

  /** Runs the message's job and records its outcome; resolves when the worker slot is free again. Never rejects. */
  async run({ message, lease }: HeldMessage): Promise<void> {
    const outcome = await this.#execute(message);
    this.#held.delete(lease);
    // Given up on by stop(): its message stays claimed until the window passes, then is delivered again.
    if (this.#abort.signal.aborted) return lease.release();
    if (outcome === undefined) {
      // Succeeded: the claim is renewed until the delete holding its id has been written, so that a delete that
      // waits (for its group commit, or through a server restart) cannot let the window lapse and the job be
      // delivered again meanwhile. The worker slot is free at once.
      lease.completing();
      void this.#track(this.#completions.add(message.id).then(() => lease.release()));
      return;
    }
    // The renewal must be stopped (and one in flight landed) before the outcome: a late renewal would overwrite a
    // retry's backoff deadline.
    await this.#track(lease.release().then(outcome));
  }

  /**
   * For stop() once its grace period is over: aborts every job's signal, stops renewing the claims of messages still
   * waiting or in handler code (their outcomes will not be written) and waits for outcome writes already under
   * way, so that nothing touches the store afterwards. With `release`, the claims are given back (receivable at once,
   * the delivery not counted); otherwise they lapse when their window passes. Returns how many messages were given up.
   */
  async abandon(release: boolean): Promise<number> {
    this.#abort.abort(new Error(`JobQueue[${this.#store.name}] is stopping`));
    const given = [...this.#held];
    this.#held.clear();
    await Promise.all(given.map(([lease]) => lease.release()));
    if (release) await this.#giveBack(given.map(([, message]) => message));
    await Promise.all(this.#writes);
    return given.length;
  }

  /** Resolves once every outcome write under way, and the lease a completion holds until its delete, is done. */
  async settled(): Promise<void> {
    await Promise.all(this.#writes);
  }

  /** For stop() with release: messages claimed ahead that no worker has started are given back at once. */
  async release(waiting: readonly HeldMessage[]): Promise<void> {
    for (const { lease } of waiting) this.#held.delete(lease);
    await Promise.all(waiting.map(({ lease }) => lease.release()));
    await this.#giveBack(waiting.map(({ message }) => message));
  }

  /** A failed give-back loses nothing: those claims lapse when their window passes, as without release. */
  async #giveBack(messages: readonly ReceivedMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.#store.release(messages.map(({ id, received }) => ({ id, delivery: received })));
    } catch (error) {
      this.#options.logger.warn('could not release claimed messages; they will be delivered again after their visibility window', {
        queue: this.#store.name,
        messages: messages.length,
        error: describeError(error),
      });
    }
  }

  /**
   * Decodes and runs the message (handler, and onFailure when the failure ends the job); returns its outcome's write,
   * or undefined when the job succeeded (its write is the completion, which run() makes).
   */
  async #execute(message: ReceivedMessage): Promise<(() => Promise<void>) | undefined> {
    let payload: Buffer;
    let jobName: string;
    let trace: EnvelopeTrace | undefined;
    try {
      ({ name: jobName, message: payload, trace } = decode(message.body));
    } catch (error) {
      // No job name to record: the dedup queue recovers it from job_ns, the plain queue stores ''.
      return () => this.#unrunnable(message, '', describeError(error));
    }
    const registration = this.#registrations.get(jobName);
    if (registration === undefined) {
      return () => this.#unrunnable(message, jobName, `job "${jobName}" not registered on JobQueue[${this.#store.name}]`);
    }
    const context: JobContext = {
      jobName,
      messageId: message.id,
      delivery: message.received,
      maxDeliveries: this.#store.settings.maxDeliveries,
      signal: this.#abort.signal,
    };
    const queue = this.#store.name;
    const { events, telemetry } = this.#options;
    events.emit('started', { queue, jobName, messageId: message.id, delivery: message.received });
    const started = performance.now();
    try {
      await telemetry.process(jobName, message, trace, () => registration.handler(payload, context));
      const durationMs = performance.now() - started;
      telemetry.processed(durationMs);
      events.emit('succeeded', { queue, jobName, messageId: message.id, delivery: message.received, durationMs });
      return undefined;
    } catch (failure) {
      const durationMs = performance.now() - started;
      telemetry.processed(durationMs, failure);
      events.emit('failed', { queue, jobName, messageId: message.id, delivery: message.received, durationMs, error: describeError(failure) });
      return this.#failed(payload, failure, registration, context);
    }
  }

  /** Classifies a failure, runs onFailure when it ends the job, and returns the write that records it. */
  async #failed(payload: Buffer, failure: unknown, registration: Registration, context: JobContext): Promise<() => Promise<void>> {
    // Given up on by stop() (most often the very abort the handler honoured): no outcome is written, so none is
    // announced, and onFailure does not run: the job is not over, its message comes back.
    if (this.#abort.signal.aborted) return async () => {};
    const error = describeError(failure);
    const reason: DeadLetterReason | undefined = isPermanentError(failure)
      ? 'permanent_error'
      : context.delivery >= context.maxDeliveries
        ? 'max_retries'
        : undefined;
    if (reason === undefined) {
      const delayMs = backoffDelay(context.delivery, this.#options.backoff);
      this.#log('warn', `job failed, retrying in ${delayMs} ms`, context, failure);
      return () => this.#retry(context, delayMs);
    }
    this.#log('error', `job failed, moving it to the dead letters (${reason})`, context, failure);
    if (registration.onFailure !== undefined) {
      try {
        await registration.onFailure(payload, asError(failure), context);
      } catch (onFailureError) {
        this.#log('error', 'onFailure threw; dead-lettering the job anyway', context, onFailureError);
      }
    }
    return () => this.#deadLetter(context.messageId, context.jobName, context.delivery, reason, error);
  }

  async #retry(context: JobContext, delayMs: number): Promise<void> {
    try {
      await this.#store.extend(context.messageId, delayMs);
      this.#options.retryScheduled(delayMs);
      const { jobName, messageId, delivery } = context;
      this.#options.events.emit('retried', { queue: this.#store.name, jobName, messageId, delivery, delayMs });
    } catch (error) {
      // The message still comes back, when the window its receive opened ends.
      this.#log('error', 'could not set the retry deadline of a failed job', context, error);
    }
  }

  /** A message no handler can run: dead-lettered at once instead of being delivered in vain until it sticks. */
  #unrunnable(message: ReceivedMessage, jobName: string, error: string): Promise<void> {
    this.#options.logger.error('cannot run message, moving it to the dead letters (permanent_error)', {
      queue: this.#store.name,
      jobName,
      messageId: message.id,
      delivery: message.received,
      error,
    });
    return this.#deadLetter(message.id, jobName, message.received, 'permanent_error', error);
  }

  async #deadLetter(id: string, jobName: string, delivery: number, reason: DeadLetterReason, error: string): Promise<void> {
    try {
      await this.#store.deadLetter(id, { jobName, reason, error });
      this.#options.events.emit('deadLettered', { queue: this.#store.name, jobName, messageId: id, delivery, reason, error });
    } catch (writeError) {
      // Left in the queue: delivered again, or swept as max_retries once its deliveries are used up.
      this.#options.logger.error('could not move a message to the dead letters', {
        queue: this.#store.name,
        jobName,
        messageId: id,
        reason,
        error: describeError(writeError),
      });
    }
  }

  /** Registers a write so that abandon() waits for it. */
  async #track(write: Promise<void>): Promise<void> {
    this.#writes.add(write);
    try {
      await write;
    } finally {
      this.#writes.delete(write);
    }
  }

  #log(level: keyof JobQueueLogger, message: string, context: JobContext, error: unknown): void {
    const fields: LogFields = {
      queue: this.#store.name,
      jobName: context.jobName,
      messageId: context.messageId,
      delivery: context.delivery,
      maxDeliveries: context.maxDeliveries,
      error: describeError(error),
    };
    this.#options.logger[level](message, fields);
  }
}
