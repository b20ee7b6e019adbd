/**
 * The services an installation is opened with (openDatabases' `clock` and `logger`), injected once: every Store and
 * every queue made from it carries them, and what is built on a store (the task engine, the PDP flows, retention,
 * the worker runtime) reads them from there unless its own options say otherwise.
 */
import type { Clock } from './clock.ts';
import type { JobQueueLogger } from './logger.ts';

/** The clock and logger given to openDatabases, carried by each Store and queue of that installation. */
export interface Services {
  /** Where "now" comes from: queue deadlines, task times, PDP timestamps, retention cutoffs. */
  readonly clock: Clock;
  /**
   * Where the worker runtime and the task engine report what they cannot return to a caller. Undefined when
   * openDatabases was given none: each then writes its own lines to stderr.
   */
  readonly logger?: JobQueueLogger;
}

/** The services of `source` when it is a Store or a queue of one (anything else, e.g. a bare SQL layer: undefined). */
export function servicesOf(source: object): Services | undefined {
  if (!('services' in source)) return undefined;
  const { services } = source;
  return isServices(services) ? services : undefined;
}

function isServices(value: unknown): value is Services {
  if (typeof value !== 'object' || value === null || !('clock' in value)) return false;
  const { clock } = value;
  if (typeof clock !== 'object' || clock === null || !('now' in clock) || typeof clock.now !== 'function') return false;
  if (!('logger' in value) || value.logger === undefined) return true;
  const { logger } = value;
  if (typeof logger !== 'object' || logger === null) return false;
  return 'warn' in logger && typeof logger.warn === 'function' && 'error' in logger && typeof logger.error === 'function';
}
