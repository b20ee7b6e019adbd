/**
 * Bounded retry of a whole transaction on transient lock errors (data-model §9 IsLockedError). Piri retries AddTask
 * without limit (100 ms, doubling, no cap) and the finish transaction up to 10 times; here both are bounded:
 * `attempts` tries in total, the delay doubling from `initialDelayMs` up to `maxDelayMs`. Only errors the dialect
 * classifies as 'lock' are retried; anything else, and the last lock error, is thrown.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SchedulerSql } from './sql/types.ts';

/**
 * How a transaction that hit a transient lock error (SQLITE_BUSY, a Postgres deadlock or serialization failure) is
 * retried as a whole: the delay doubles from initialDelayMs up to maxDelayMs.
 */
export interface LockRetryOptions {
  /** Tries in total, the first included. Default 10. */
  readonly attempts?: number;
  /** Delay before the second try. Default 100 ms (Piri). */
  readonly initialDelayMs?: number;
  /** Cap of the doubling delay. Default 2,000 ms. */
  readonly maxDelayMs?: number;
}

export const DEFAULT_LOCK_RETRY: Required<LockRetryOptions> = { attempts: 10, initialDelayMs: 100, maxDelayMs: 2_000 };

export async function retryOnLock<T>(
  sql: SchedulerSql,
  options: Required<LockRetryOptions>,
  fn: () => Promise<T>,
  onRetry?: (attempt: number, delayMs: number, error: unknown) => void,
): Promise<T> {
  let delay = options.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.attempts || sql.classifyError(error) !== 'lock') throw error;
      onRetry?.(attempt, delay, error);
      await sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs);
    }
  }
}
