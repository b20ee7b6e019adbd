/**
 * What a job queue reports as it works, for a user to subscribe to (`jobQueue.on('succeeded', ...)`): metrics,
 * dashboards, tests. Listeners run synchronously where the event happens; one that throws is logged and the job
 * goes on, so a broken listener never changes an outcome.
 */
import type { DeadLetterReason } from '../types.ts';
import { describeError } from './errors.ts';
import type { JobQueueLogger } from '../../logger.ts';

/** The job an event is about. */
export interface JobEvent {
  readonly queue: string;
  readonly jobName: string;
  readonly messageId: string;
  /** 1 on the first delivery. */
  readonly delivery: number;
}

/** Every event JobQueue.on can subscribe to, by name, with the fields its listener receives. */
export interface JobQueueEvents {
  /** A claim took messages (not emitted for an empty claim). */
  readonly claimed: { readonly queue: string; readonly messages: number };
  /** A handler is about to run. */
  readonly started: JobEvent;
  /** The handler resolved; the delete follows in the next completion batch. */
  readonly succeeded: JobEvent & { readonly durationMs: number };
  /** The handler failed; `retried` or `deadLettered` says what happens next. */
  readonly failed: JobEvent & { readonly durationMs: number; readonly error: string };
  /** A failed job's deadline was moved: it is delivered again in delayMs. */
  readonly retried: JobEvent & { readonly delayMs: number };
  /** The message is in the dead letters (jobName '' when the body was not an envelope). */
  readonly deadLettered: JobEvent & { readonly reason: DeadLetterReason; readonly error: string };
  /** A claim could not be renewed because the message is gone (purged, or taken after the claim lapsed). */
  readonly leaseLost: { readonly queue: string; readonly messageId: string };
  /** Wake-ups were lost (`live` false: the pool polls) or are back (docs/queues.md, Wake-ups). */
  readonly wakeups: { readonly queue: string; readonly live: boolean; readonly reason?: string };
  /** stop() has finished; `abandoned` jobs were still running when its grace period ended. */
  readonly stopped: { readonly queue: string; readonly abandoned: number };
}

/** The name of a JobQueue event. */
export type JobQueueEventName = keyof JobQueueEvents;
/** A listener for event `E`; it runs synchronously, and an error it throws is logged and otherwise ignored. */
export type JobQueueListener<E extends JobQueueEventName> = (event: JobQueueEvents[E]) => void;

export class JobQueueEmitter {
  /** Each event's listeners, keyed so that the set for event `E` holds listeners of `E`. */
  readonly #listeners: { readonly [E in JobQueueEventName]: Set<JobQueueListener<E>> } = {
    claimed: new Set(),
    started: new Set(),
    succeeded: new Set(),
    failed: new Set(),
    retried: new Set(),
    deadLettered: new Set(),
    leaseLost: new Set(),
    wakeups: new Set(),
    stopped: new Set(),
  };
  readonly #logger: JobQueueLogger;

  constructor(logger: JobQueueLogger) {
    this.#logger = logger;
  }

  /** Returns the function that unsubscribes. */
  on<E extends JobQueueEventName>(event: E, listener: JobQueueListener<E>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`listener for "${event}" must be a function`);
    // A name that is no event (from a JavaScript caller) is never emitted: nothing to keep the listener for.
    if (!Object.hasOwn(this.#listeners, event)) return () => false;
    const set = this.#listeners[event];
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends JobQueueEventName>(event: E, data: JobQueueEvents[E]): void {
    for (const listener of this.#listeners[event]) {
      try {
        listener(data);
      } catch (error) {
        this.#logger.error(`a "${event}" listener threw`, { queue: data.queue, error: describeError(error) });
      }
    }
  }
}
