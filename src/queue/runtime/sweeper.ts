/**
 * Moves messages whose last allowed delivery ended without an outcome (the process died mid-job) to the dead
 * letters. Without it they stay in the queue forever: never handed out again, never dead-lettered (Piri's stuck
 * rows, data-model §10 item 11). Runs at start, to collect what a previous crash left, then every `intervalMs`.
 */
import type { QueueStore } from '../types.ts';
import type { JobQueueLogger } from '../../logger.ts';
import { describeError } from './errors.ts';

export interface Sweeper {
  /** Stops the timer and waits for a sweep in flight. */
  stop(): Promise<void>;
}

export function startSweeper(store: QueueStore, intervalMs: number, logger: JobQueueLogger): Sweeper {
  let sweeping: Promise<void> | undefined;
  const sweepOnce = async () => {
    try {
      const moved = await store.sweepExhausted();
      if (moved > 0) {
        logger.warn('moved messages whose last delivery ended without an outcome to the dead letters', {
          queue: store.name,
          moved,
          reason: 'max_retries',
        });
      }
    } catch (error) {
      logger.error('sweep of exhausted messages failed', { queue: store.name, error: describeError(error) });
    }
  };
  const sweep = () => {
    // A slow sweep is not stacked with another.
    sweeping ??= sweepOnce().finally(() => {
      sweeping = undefined;
    });
  };
  sweep();
  const timer = setInterval(sweep, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await sweeping;
    },
  };
}
