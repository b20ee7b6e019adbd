/**
 * A job queue's options: what the caller may set, the defaults, and the checks, done once at construction so the
 * runtime's modules receive plain resolved numbers.
 */
import { availableParallelism } from 'node:os';
import { STORES } from '../../catalog/registry.ts';
import type { QueueSettings } from '../types.ts';
import { type BackoffOptions, resolveBackoff } from './backoff.ts';
import { consoleLogger, type JobQueueLogger } from '../../logger.ts';

/**
 * Tuning of createJobQueue: workers, prefetch, leases, backoff, logging. Every field is optional, with Piri's behaviour
 * as the default.
 */
export interface JobQueueOptions {
  /** Jobs run at once. Default: the registry's maxWorkers for this queue (manager: 3), else one per CPU, as Piri. */
  readonly maxWorkers?: number;
  /**
   * Most messages claimed ahead of free workers, waiting (their claims renewed) for one. The pool keeps ahead only what
   * keeps its workers busy through two claims' round trips, none while jobs take longer than a claim, and at most
   * 64 MiB of bodies (worker-pool.ts); this bounds it. Default: maxWorkers, at least 1,000. 0 claims only for free
   * workers.
   */
  readonly prefetch?: number;
  /**
   * Pause between claims of an empty queue while wake-ups are not live (the PostgreSQL listener is down). Default
   * 100 ms, as Piri.
   */
  readonly pollIntervalMs?: number;
  /**
   * Pause between claims of an empty queue while wake-ups are live: sends, releases and requeues wake the pool at
   * once, so this only bounds how long something no write announced waits, such as a claim that lapsed in a process
   * that died. Default 10 s.
   */
  readonly idlePollIntervalMs?: number;
  /**
   * How often the claim of a message this process holds (running, or waiting for a worker) is renewed to now + the
   * queue's visibility timeout. Default half the visibility timeout, so one late or failed renewal still leaves time
   * for the next. Must be shorter than the visibility timeout.
   */
  readonly extendIntervalMs?: number;
  /**
   * How often messages whose last delivery died with its process are moved to the dead letters. Default: the
   * visibility timeout, at least 30 s (what a sweep costs an idle queue counts more than how soon it comes).
   */
  readonly sweepIntervalMs?: number;
  /** Delay before retrying a failed job; defaults in DEFAULT_BACKOFF. */
  readonly backoff?: Partial<BackoffOptions>;
  /** Most successful jobs deleted in one statement. Default 1,000 (a full claim's worth). */
  readonly completionBatchSize?: number;
  /**
   * How long a successful job waits for others to share its delete statement. One delete runs at a time, so while one
   * is in flight the next waits for it too. Default 2 ms.
   */
  readonly completionDelayMs?: number;
  /** Default: the logger the queue's installation was opened with (openDatabases), else one line per event on stderr. */
  readonly logger?: JobQueueLogger;
}

export interface ResolvedOptions {
  readonly maxWorkers: number;
  readonly prefetch: number;
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly extendIntervalMs: number;
  readonly sweepIntervalMs: number;
  readonly backoff: BackoffOptions;
  readonly completionBatchSize: number;
  readonly completionDelayMs: number;
  readonly logger: JobQueueLogger;
}

const DEFAULT_POLL_INTERVAL_MS = 100;
const DEFAULT_IDLE_POLL_INTERVAL_MS = 10_000;
const MIN_DEFAULT_SWEEP_INTERVAL_MS = 30_000;
/**
 * The default bound of what the pool claims ahead. It is a bound, not an amount: the pool keeps ahead only what keeps
 * its workers busy through two claims' round trips (none while a job takes longer than a claim), and at most
 * PREFETCH_BYTES of bodies (worker-pool.ts), so long jobs and big bodies are not hoarded. A floor of 32 took the
 * 1-worker drain of short jobs from ~1,400 to ~10,000 jobs/s on Postgres; 1,000 (one full claim, MAX_CLAIM) lets a deep
 * queue of short jobs be claimed a thousand at a time, a fraction of the commits (docs/benchmarks.md, runtime drain).
 */
const MIN_DEFAULT_PREFETCH = 1_000;
/**
 * The longest delay a Node.js timer keeps (2^31 - 1 ms, about 24.8 days). Beyond it setTimeout and setInterval fire
 * after 1 ms instead: a claim renewal or a sweep every millisecond, a stop() that gives up at once.
 */
export const MAX_TIMER_MS = 2_147_483_647;
/**
 * A full claim's worth: with 100, a claim of 1,000 short jobs waited for ten deletes in a row (one runs at a time),
 * and the deletes, not the claims, set the pace (0.75x of this on the Postgres drain, docs/benchmarks.md).
 */
const DEFAULT_COMPLETION_BATCH_SIZE = 1_000;
const DEFAULT_COMPLETION_DELAY_MS = 2;

export function resolveOptions(queue: string, settings: QueueSettings, options: JobQueueOptions = {}): ResolvedOptions {
  const visibility = settings.visibilityTimeoutMs;
  const maxWorkers = options.maxWorkers ?? registryMaxWorkers(queue) ?? availableParallelism();
  const resolved: ResolvedOptions = {
    maxWorkers,
    // An invalid maxWorkers (a bigint, say) is refused below, by the check that names it.
    prefetch: options.prefetch ?? (Number.isInteger(maxWorkers) ? Math.max(maxWorkers, MIN_DEFAULT_PREFETCH) : maxWorkers),
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    idlePollIntervalMs: options.idlePollIntervalMs ?? DEFAULT_IDLE_POLL_INTERVAL_MS,
    // A window longer than a timer can wait is renewed and swept at the longest interval one can.
    extendIntervalMs: options.extendIntervalMs ?? Math.min(Math.floor(visibility / 2), MAX_TIMER_MS),
    sweepIntervalMs: options.sweepIntervalMs ?? Math.min(Math.max(visibility, MIN_DEFAULT_SWEEP_INTERVAL_MS), MAX_TIMER_MS),
    backoff: resolveBackoff(options.backoff),
    completionBatchSize: options.completionBatchSize ?? DEFAULT_COMPLETION_BATCH_SIZE,
    completionDelayMs: options.completionDelayMs ?? DEFAULT_COMPLETION_DELAY_MS,
    logger: options.logger ?? consoleLogger,
  };
  const check = (ok: boolean, key: keyof ResolvedOptions, rule: string) => {
    if (!ok) throw new RangeError(`JobQueue[${queue}]: ${key} must be ${rule}, got ${String(resolved[key])}`);
  };
  check(Number.isInteger(resolved.maxWorkers) && resolved.maxWorkers >= 1, 'maxWorkers', 'an integer >= 1');
  check(Number.isInteger(resolved.prefetch) && resolved.prefetch >= 0, 'prefetch', 'an integer >= 0');
  const timer = (ms: number, min: number) => typeof ms === 'number' && ms >= min && ms <= MAX_TIMER_MS;
  check(timer(resolved.pollIntervalMs, Number.MIN_VALUE), 'pollIntervalMs', `> 0 and <= ${MAX_TIMER_MS}`);
  check(timer(resolved.idlePollIntervalMs, Number.MIN_VALUE), 'idlePollIntervalMs', `> 0 and <= ${MAX_TIMER_MS}`);
  check(
    timer(resolved.extendIntervalMs, Number.MIN_VALUE) && resolved.extendIntervalMs < visibility,
    'extendIntervalMs',
    `> 0 and shorter than the queue's visibility timeout (${visibility} ms), and <= ${MAX_TIMER_MS}`,
  );
  check(timer(resolved.sweepIntervalMs, Number.MIN_VALUE), 'sweepIntervalMs', `> 0 and <= ${MAX_TIMER_MS}`);
  check(Number.isInteger(resolved.completionBatchSize) && resolved.completionBatchSize >= 1, 'completionBatchSize', 'an integer >= 1');
  check(timer(resolved.completionDelayMs, 0), 'completionDelayMs', `>= 0 and <= ${MAX_TIMER_MS}`);
  return resolved;
}

/** Piri's per-queue worker count (data-model §4.8); queue names are unique across the registry's stores. */
function registryMaxWorkers(queue: string): number | undefined {
  return STORES.flatMap((store) => store.queues).find((definition) => definition.name === queue)?.maxWorkers;
}
