/**
 * Graceful shutdown of a process that runs job queues, for SIGTERM from an orchestrator (Kubernetes sends it and
 * kills the pod 30 s later by default) or SIGINT from a terminal:
 *
 *   1. every queue stops claiming at once, and gives back the messages it had claimed ahead (not started);
 *   2. running jobs get `budgetMs` to finish and write their outcomes;
 *   3. jobs still running then have their signals aborted and their claims given back: receivable at once by
 *      another process, the delivery not counted (stop's `release`);
 *   4. `onStopped` runs (close the databases there), then the listeners are removed.
 *
 * A second signal while this runs exits the process at once (exit code 1): what it held comes back when its
 * visibility window passes, as after a crash. Nothing is lost either way.
 */
import { describeError, StopTimeoutError } from './errors.ts';
import type { JobQueue } from './job-queue.ts';
import { consoleLogger, type JobQueueLogger } from '../../logger.ts';

/** How stopOnSignals shuts down: which signals, the time budget for running jobs, and what runs afterwards. */
export interface ShutdownOptions {
  /**
   * How long running jobs may take to finish once a signal came, in ms. Default 25,000: inside Kubernetes' default
   * 30 s grace period, with time left to give claims back and close the databases.
   */
  readonly budgetMs?: number;
  /** Default SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Runs once every queue has stopped, e.g. `() => dbs.close()`. Its error is logged. */
  readonly onStopped?: () => void | Promise<void>;
  /** Where jobs cut off by the budget and failures are reported; default one line each on stderr. */
  readonly logger?: JobQueueLogger;
}

/** How long stopOnSignals lets running jobs finish by default, in ms: inside Kubernetes' 30 s grace period. */
export const DEFAULT_SHUTDOWN_BUDGET_MS = 25_000;

/**
 * Stops `queues` gracefully on the first of `signals` (see the module comment). Returns a function that removes the
 * listeners, for a process that stops its queues some other way.
 */
export function stopOnSignals(queues: readonly JobQueue[], options: ShutdownOptions = {}): () => void {
  const { budgetMs = DEFAULT_SHUTDOWN_BUDGET_MS, signals = ['SIGTERM', 'SIGINT'], onStopped, logger = consoleLogger } = options;
  if (typeof budgetMs !== 'number' || !(budgetMs >= 0)) throw new RangeError(`budgetMs must be a number >= 0, got ${String(budgetMs)}`);
  let stopping = false;
  const dispose = () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (stopping) {
      logger.error('second signal while stopping: exiting now; claimed messages come back after their visibility window', { signal });
      process.exit(1);
    }
    stopping = true;
    void stopAll(queues, budgetMs, onStopped, logger).finally(dispose);
  }
  for (const signal of signals) process.on(signal, onSignal);
  return dispose;
}

async function stopAll(
  queues: readonly JobQueue[],
  budgetMs: number,
  onStopped: (() => void | Promise<void>) | undefined,
  logger: JobQueueLogger,
): Promise<void> {
  const results = await Promise.allSettled(queues.map((queue) => queue.stop({ timeoutMs: budgetMs, release: true })));
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const queue = queues[i]!.name;
    if (result.reason instanceof StopTimeoutError) {
      logger.warn('jobs still running at the end of the shutdown budget were released', { queue, released: result.reason.abandoned, budgetMs });
    } else logger.error('could not stop the job queue', { queue, error: describeError(result.reason) });
  });
  try {
    await onStopped?.();
  } catch (error) {
    logger.error('onStopped failed', { error: describeError(error) });
  }
}
