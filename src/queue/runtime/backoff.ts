/**
 * Delay before a failed job's next delivery. Piri has none (a failed message waits out whatever is left of its
 * visibility window, so a job failing fast is retried within seconds, 50 times for the aggregator queues); here a
 * retryable failure moves the message's deadline to now + backoffDelay(delivery).
 */
export interface BackoffOptions {
  /** Delay after the first delivery fails. */
  readonly baseMs: number;
  /** Each further failure multiplies the delay by this. */
  readonly factor: number;
  /** Upper bound of the delay, before jitter. */
  readonly maxMs: number;
  /**
   * Fraction of the delay that is random, in [0, 1]: the delay is drawn from [d * (1 - jitter), d]. Spreads out jobs
   * that failed together (a peer went down) so they do not all come back in the same instant.
   */
  readonly jitter: number;
}

/**
 * 1 s, 2 s, 4 s ... capped at 5 min, minus up to 20 %. The replication queue's 10 deliveries then span up to
 * 8.5 min instead of Piri's ~45 s, the aggregator's 50 up to 3.5 h: an outage of a peer or of the chain RPC is
 * ridden out instead of burning every delivery in the first minutes.
 */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1_000, factor: 2, maxMs: 300_000, jitter: 0.2 };

/** The delay in whole ms after delivery number `delivery` (1 = the first) failed; `random` returns [0, 1). */
export function backoffDelay(delivery: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, delivery - 1);
  // Growth capped at MAX_VALUE so that 0 ms * a huge growth stays 0 instead of 0 * Infinity = NaN.
  const delay = Math.min(options.maxMs, options.baseMs * Math.min(options.factor ** exponent, Number.MAX_VALUE));
  return Math.round(delay * (1 - options.jitter * random()));
}

/** The defaults overridden by `overrides`, checked; a bad value names its option. */
export function resolveBackoff(overrides: Partial<BackoffOptions> = {}): BackoffOptions {
  // An option given as undefined keeps its default, as everywhere else in the runtime's options.
  const given = Object.entries(overrides).filter(([, value]) => value !== undefined);
  const options: BackoffOptions = { ...DEFAULT_BACKOFF, ...Object.fromEntries(given) };
  const check = (ok: boolean, key: keyof BackoffOptions, rule: string) => {
    if (!ok) throw new RangeError(`backoff.${key} must be ${rule}, got ${String(options[key])}`);
  };
  check(Number.isFinite(options.baseMs) && options.baseMs >= 0, 'baseMs', 'a finite number >= 0');
  check(Number.isFinite(options.factor) && options.factor >= 1, 'factor', 'a finite number >= 1');
  check(Number.isFinite(options.maxMs) && options.maxMs >= options.baseMs, 'maxMs', `a finite number >= baseMs (${options.baseMs})`);
  check(typeof options.jitter === 'number' && options.jitter >= 0 && options.jitter <= 1, 'jitter', 'between 0 and 1');
  return options;
}
