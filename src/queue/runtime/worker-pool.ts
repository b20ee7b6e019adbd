/**
 * The claiming loop and the worker slots. One loop per queue claims, in one receiveMany (one transaction for the
 * batch instead of one per job), as many messages as there is room for: free workers plus the messages it keeps
 * claimed ahead, waiting for a worker. It then:
 *   - claims again as soon as room frees when the batch came back full (more work is likely waiting),
 *   - when it came back short (the queue is drained for now), sleeps until the queue's signals say messages may be
 *     receivable (wakeups/signals.ts): a send, release or requeue, a delay or a retry's backoff running out. It
 *     claims anyway after idlePollIntervalMs, or pollIntervalMs while the signals are not live,
 *   - sleeps a second after a failed claim, so a database outage is not hammered (as Piri).
 * A single loop also means this process never races itself for a message. A signal that arrives while a claim is
 * under way (the claim may have missed what it announces) makes the loop claim again at once.
 *
 * Why claim ahead: a claim costs a commit, and with short jobs the commit, not the jobs, sets the pace. Claiming only
 * for free workers caps throughput at maxWorkers per commit latency; claiming ahead raises the cap without running
 * more jobs at once. How many: enough for every worker to stay busy through two claims' round trips, from moving
 * averages of a claim's round trip and of a job (maxWorkers x 2 claims / job), at most `prefetch`, and at most what
 * PREFETCH_BYTES of bodies of the average size seen. So a deep queue of short jobs is claimed hundreds at a time, while
 * with jobs longer than a claim nothing is claimed ahead: the claims already overlap running jobs, and messages
 * claimed ahead would only wait, hidden from other processes, and if stop() times out be given up with a delivery
 * used. A waiting message's claim is renewed like a running job's (executor.hold), so waiting never lets it lapse to
 * another receiver.
 */
import type { QueueStore, ReceivedMessage } from '../types.ts';
import type { Watch } from '../wakeups/signals.ts';
import { describeError } from './errors.ts';
import type { JobQueueEmitter } from './events.ts';
import type { Executor, HeldMessage } from './executor.ts';
import type { JobQueueLogger } from '../../logger.ts';
import { MAX_TIMER_MS } from './options.ts';
import type { QueueTelemetry } from './telemetry.ts';

const CLAIM_ERROR_PAUSE_MS = 1_000;
/**
 * Most messages one claim takes. A larger claim only holds its transaction (and the rows in memory) longer; with more
 * room than this the loop claims again at once, as after any full batch. Also keeps an absurd maxWorkers (any
 * integer is allowed, up to Number.MAX_VALUE) from making the room Infinity.
 */
const MAX_CLAIM = 1_000;
/** Weight of the newest sample in the moving averages of claim and job durations and of body sizes. */
const SMOOTHING = 0.2;
/**
 * Most bytes of bodies claimed ahead, at the average body size seen: what a large `prefetch` may hold in memory. With
 * 200-byte envelopes it allows every claim MAX_CLAIM can take; with bodies of 1 MiB, 64 ahead; with bodies of 64 MiB
 * or more, none (only free workers are claimed for).
 */
export const PREFETCH_BYTES = 64 * 2 ** 20;
/** A job faster than this (a handler that does nothing) counts as this fast when sizing the prefetch. */
const MIN_JOB_MS = 0.001;

export interface PoolOptions {
  readonly maxWorkers: number;
  readonly prefetch: number;
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly logger: JobQueueLogger;
  readonly events: JobQueueEmitter;
  readonly telemetry: QueueTelemetry;
}

export class WorkerPool {
  readonly #store: QueueStore;
  readonly #executor: Executor;
  readonly #options: PoolOptions;
  #running = 0;
  /** Claimed, waiting for a worker; oldest first. */
  #waiting: HeldMessage[] = [];
  #stopping = false;
  #loop: Promise<void> | undefined;
  /** Ends the loop's current pause early. */
  #wake: (() => void) | undefined;
  /** True while the loop waits for room: only then does a finishing job wake it. */
  #waitingForRoom = false;
  #wakeScheduled = false;
  #watch: Watch | undefined;
  #wakeupsLost = false;
  /** A signal came since the current claim began. */
  #signaled = false;
  /** Retries' backoff deadlines, each of which wakes the loop. */
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  /** Called when nothing is running or waiting any more, for drain(). */
  #idle: (() => void) | undefined;
  /**
   * Moving averages, in ms, of a claim's round trip and of a job from start to outcome; the job's is undefined until
   * one has finished. Until then at most maxWorkers are claimed ahead: a new process does not know yet whether its
   * jobs are short, and with long ones (manager's run for minutes) a full prefetch would sit hidden in this process.
   */
  #claimMs: number | undefined;
  #jobMs: number | undefined;
  /** Moving average of the bodies claimed, in bytes; undefined until a message has been claimed. */
  #bodyBytes: number | undefined;

  constructor(store: QueueStore, executor: Executor, options: PoolOptions) {
    this.#store = store;
    this.#executor = executor;
    this.#options = options;
  }

  start(): void {
    this.#watch = this.#store.watch({
      ready: () => this.#ready(),
      changed: (live, reason) => {
        const { logger, pollIntervalMs } = this.#options;
        if (!live) logger.warn(`queue wake-ups lost, polling every ${pollIntervalMs} ms until they are back`, { queue: this.#store.name, reason });
        else if (this.#wakeupsLost) logger.warn('queue wake-ups are back', { queue: this.#store.name });
        if (!live || this.#wakeupsLost) this.#options.events.emit('wakeups', { queue: this.#store.name, live, reason });
        this.#wakeupsLost = !live;
      },
    });
    this.#loop = this.#claimLoop();
  }

  /**
   * A failed job's retry is due in delayMs: claim then. A timer may fire before the wall clock has reached the
   * deadline the store wrote (Node counts it from the event loop's cached time, which can be milliseconds behind when
   * the retry was written late in a busy tick); a claim that early finds nothing, and the pool would sleep until its
   * next poll (up to idlePollIntervalMs). So the timer is armed again until the clock is past the deadline.
   */
  retryIn(delayMs: number): void {
    if (this.#stopping) return;
    // The store's deadline was written before this call, from a clock read no later than this one; +1 ms for deadlines
    // kept to the millisecond.
    const due = Date.now() + delayMs + 1;
    const arm = (ms: number) => {
      const timer = setTimeout(() => {
        this.#retryTimers.delete(timer);
        const left = due - Date.now();
        if (left > 0) arm(left);
        else this.#ready();
      }, Math.min(ms, MAX_TIMER_MS));
      this.#retryTimers.add(timer);
    };
    arm(delayMs + 1);
  }

  /**
   * Stops claiming, then waits up to timeoutMs for the claimed messages, running or waiting, to be done. True when
   * all are; otherwise the waiting ones are dropped (executor.abandon() lets their claims go). With `release`, the
   * messages claimed ahead are given back at once instead of waiting for a worker: only running jobs are waited for.
   */
  async drain(timeoutMs: number, release: boolean): Promise<boolean> {
    this.#stopping = true;
    this.#watch?.stop();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
    this.#wake?.();
    await this.#loop;
    if (release) {
      const waiting = this.#waiting;
      this.#waiting = [];
      await this.#executor.release(waiting);
    }
    if (this.#running === 0 && this.#waiting.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = await new Promise<boolean>((resolve) => {
      this.#idle = () => resolve(true);
      // Longer than a timer can wait (Infinity included) means no time limit: setTimeout would fire after 1 ms.
      if (timeoutMs <= MAX_TIMER_MS) timer = setTimeout(() => resolve(false), timeoutMs);
    });
    clearTimeout(timer);
    this.#idle = undefined;
    if (!idle) this.#waiting = [];
    return idle;
  }

  async #claimLoop(): Promise<void> {
    while (!this.#stopping) {
      const room = Math.min(this.#options.maxWorkers + this.#ahead() - this.#running - this.#waiting.length, MAX_CLAIM);
      if (room <= 0) {
        this.#waitingForRoom = true;
        await this.#pause();
        this.#waitingForRoom = false;
        continue;
      }
      let batch: ReceivedMessage[];
      this.#signaled = false;
      const claimed = performance.now();
      try {
        batch = await this.#store.receiveMany(room);
        const claimMs = performance.now() - claimed;
        this.#claimMs = this.#claimMs === undefined ? claimMs : this.#claimMs + SMOOTHING * (claimMs - this.#claimMs);
      } catch (error) {
        this.#options.logger.error('could not claim messages, retrying in 1 s', { queue: this.#store.name, error: describeError(error) });
        await this.#pause(CLAIM_ERROR_PAUSE_MS);
        continue;
      }
      if (batch.length > 0) {
        this.#options.events.emit('claimed', { queue: this.#store.name, messages: batch.length });
        this.#options.telemetry.consumed(batch.length);
      }
      for (const message of batch) {
        const bytes = message.body.length;
        this.#bodyBytes = this.#bodyBytes === undefined ? bytes : this.#bodyBytes + SMOOTHING * (bytes - this.#bodyBytes);
        this.#waiting.push(this.#executor.hold(message));
      }
      this.#startWaiting();
      if (batch.length < room && !this.#signaled) {
        await this.#pause(this.#watch?.live ? this.#options.idlePollIntervalMs : this.#options.pollIntervalMs);
      }
    }
  }

  /**
   * How many messages to keep claimed ahead of free workers. Until a job has finished nothing is known of their
   * length: at most maxWorkers. Then none while a job takes longer than a claim's round trip, else enough to keep every
   * worker busy for two round trips, bounded by `prefetch` and by PREFETCH_BYTES of bodies.
   */
  #ahead(): number {
    const { prefetch, maxWorkers } = this.#options;
    // A job implies a claim, so the claim's average is known once the job's is.
    if (this.#jobMs === undefined || this.#claimMs === undefined) return Math.min(prefetch, maxWorkers);
    if (this.#jobMs > this.#claimMs) return 0;
    const busy = Math.ceil((2 * maxWorkers * this.#claimMs) / Math.max(this.#jobMs, MIN_JOB_MS));
    const memory = Math.floor(PREFETCH_BYTES / Math.max(this.#bodyBytes ?? 1, 1));
    return Math.min(prefetch, busy, memory);
  }

  #startWaiting(): void {
    while (this.#running < this.#options.maxWorkers && this.#waiting.length > 0) {
      const held = this.#waiting.shift()!;
      const started = performance.now();
      this.#running++;
      // run() never rejects; its slot is free once the job's outcome is handed over.
      void this.#executor.run(held).finally(() => this.#finished(performance.now() - started));
    }
  }

  #finished(jobMs: number): void {
    this.#jobMs = this.#jobMs === undefined ? jobMs : this.#jobMs + SMOOTHING * (jobMs - this.#jobMs);
    this.#running--;
    this.#startWaiting();
    if (this.#running === 0 && this.#waiting.length === 0) this.#idle?.();
    // Woken after the current burst of completions (setImmediate), so one claim fills all the room they freed
    // instead of one claim per finished job.
    if (this.#waitingForRoom && !this.#wakeScheduled) {
      this.#wakeScheduled = true;
      setImmediate(() => {
        this.#wakeScheduled = false;
        if (this.#waitingForRoom) this.#wake?.();
      });
    }
  }

  /** Messages may be receivable: ends an idle pause, or makes the claim under way be followed by another. */
  #ready(): void {
    this.#signaled = true;
    if (!this.#waitingForRoom) this.#wake?.();
  }

  /** Waits `ms`, or without `ms` until woken (room freed); stop() always wakes it. */
  async #pause(ms?: number): Promise<void> {
    if (this.#stopping) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      if (ms !== undefined) timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = undefined;
  }
}
