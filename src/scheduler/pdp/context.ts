/**
 * What every PDP flow object shares: the scheduler's SQL layer, a clock, and "one operation = one transaction",
 * retried as a whole on transient lock errors (bounded, as the task engine does).
 */
import { type Clock, systemClock } from '../../clock.ts';
import { servicesOf } from '../../services.ts';
import { DEFAULT_LOCK_RETRY, type LockRetryOptions, retryOnLock } from '../lock-retry.ts';
import { type SchedulerSource, schedulerSql } from '../sql/index.ts';
import type { SchedulerSql, SchedulerTx } from '../sql/types.ts';

/** Piri's only PDP service name (pdp_piecerefs.service, pdp_proof_sets.service, ...). */
export const PIRI_SERVICE = 'storacha';

/** Piri's task type (data-model §7) that sends a message queued by PdpMessages.enqueueSend: register its TaskType under it. */
export const SEND_TRANSACTION_TASK = 'SendTransaction';
/** Piri's task type that starts a proof set's first proving period (PdpProving.scheduleInit adds it). */
export const PDP_INIT_PP_TASK = 'PDPInitPP';
/** Piri's task type that moves a proof set to its next proving period; exactly 16 characters, the Postgres limit. */
export const PDP_PROVING_PERIOD_TASK = 'PDPProvingPeriod';
/** Piri's task type that proves the proof sets whose challenge is due (PdpProving.scheduleProves adds it). */
export const PDP_PROVE_TASK = 'PDPProve';

/**
 * Options shared by the PDP flow objects: the clock their timestamps come from and the retry of their transactions on
 * lock errors.
 */
export interface PdpOptions {
  /**
   * Where created_at, claimed_at, send_time ... come from. Default: the clock of the store's installation
   * (openDatabases), else the system clock.
   */
  readonly clock?: Clock;
  /** Bounded retry of an operation's transaction on lock errors. Default: 10 tries from 100 ms, capped at 2 s. */
  readonly lockRetry?: LockRetryOptions;
}

export class PdpContext {
  readonly sql: SchedulerSql;
  readonly clock: Clock;
  readonly #retry: Required<LockRetryOptions>;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.sql = schedulerSql(source);
    this.clock = options.clock ?? servicesOf(source)?.clock ?? systemClock;
    this.#retry = { ...DEFAULT_LOCK_RETRY, ...options.lockRetry };
  }

  /** One transaction (retried whole on lock errors); `nowMs` is read from the clock for each try. */
  run<T>(fn: (tx: SchedulerTx, nowMs: number) => Promise<T>): Promise<T> {
    return retryOnLock(this.sql, this.#retry, () => this.sql.transaction((tx) => fn(tx, this.clock.now())));
  }
}
