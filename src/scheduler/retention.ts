/**
 * Retention for the scheduler store: Piri never deletes task_history, message_sends_eth or message_waits_eth rows
 * (data-model §7). pruneScheduler deletes finished rows older than `olderThanMs`, in transactions of at
 * most `batchSize` rows each, looping until a batch comes back short, so it never holds the database (or, on
 * SQLite, the connection's mutex) for long.
 *
 *   message_waits_eth  confirmed (tx_status = 'confirmed'), referenced by nothing (see MessageWaitOps.pruneConfirmed:
 *                      four tables reference it ON DELETE CASCADE, so a referenced wait is never deleted), and
 *                      sent before the cutoff. Pruned first: its age comes from its message_sends_eth row.
 *   message_sends_eth  send_success IS NOT NULL, send_time before the cutoff, task row gone; per sender the
 *                      successful send with the highest nonce is kept (the next nonce is derived from it).
 *   task_history       work_end before the cutoff.
 */
import { type Clock, systemClock } from '../clock.ts';
import { servicesOf } from '../services.ts';
import { TaskEngineError } from './errors.ts';
import { DEFAULT_LOCK_RETRY, retryOnLock } from './lock-retry.ts';
import { type SchedulerSource, schedulerSql } from './sql/index.ts';
import type { SchedulerTx } from './sql/types.ts';

/** What pruneScheduler deletes (rows finished longer ago than olderThanMs) and how many rows each transaction takes. */
export interface PruneSchedulerOptions {
  /** Rows finished longer ago than this are deleted. */
  readonly olderThanMs: number;
  /** Rows per transaction. Default 1,000. */
  readonly batchSize?: number;
  /** "Now" for the cutoff. Default: the clock of the store's installation (openDatabases), else the system clock. */
  readonly clock?: Clock;
}

/** Rows pruneScheduler deleted per table, the transactions it took, and the cutoff it used. */
export interface PruneSchedulerResult {
  readonly taskHistory: number;
  readonly messageSends: number;
  readonly messageWaits: number;
  /** Transactions run, the last (short) batch of each table included. */
  readonly batches: number;
  /** Everything finished before this instant was eligible. */
  readonly cutoff: Date;
}

/** Rows pruneScheduler deletes per transaction by default. */
export const DEFAULT_PRUNE_BATCH_SIZE = 1_000;

/**
 * Deletes finished task_history, message_sends_eth and message_waits_eth rows older than `olderThanMs`, which Piri
 * never deletes, in short transactions (see the module comment for what is kept). Throws a TaskEngineError
 * (INVALID_OPTION) for a negative age or a batch size below 1.
 */
export async function pruneScheduler(
  store: SchedulerSource,
  options: PruneSchedulerOptions,
): Promise<PruneSchedulerResult> {
  const { olderThanMs, batchSize = DEFAULT_PRUNE_BATCH_SIZE } = options;
  const clock = options.clock ?? servicesOf(store)?.clock ?? systemClock;
  if (!Number.isFinite(olderThanMs) || olderThanMs < 0) {
    throw new TaskEngineError('INVALID_OPTION', `pruneScheduler: olderThanMs must be a finite number >= 0, got ${olderThanMs}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TaskEngineError('INVALID_OPTION', `pruneScheduler: batchSize must be an integer >= 1, got ${batchSize}`);
  }
  const sql = schedulerSql(store);
  const cutoffMs = clock.now() - olderThanMs;
  let batches = 0;
  const drain = async (op: (tx: SchedulerTx, p: { cutoffMs: number; limit: number }) => Promise<number>) => {
    let total = 0;
    for (;;) {
      const n = await retryOnLock(sql, DEFAULT_LOCK_RETRY, () =>
        sql.transaction((tx) => op(tx, { cutoffMs, limit: batchSize })),
      );
      batches++;
      total += n;
      if (n < batchSize) return total;
    }
  };
  const messageWaits = await drain((tx, p) => tx.messageWaits.pruneConfirmed(p));
  const messageSends = await drain((tx, p) => tx.messageSends.pruneFinished(p));
  const taskHistory = await drain((tx, p) => tx.taskHistory.pruneBefore(p));
  return { taskHistory, messageSends, messageWaits, batches, cutoff: new Date(cutoffMs) };
}
