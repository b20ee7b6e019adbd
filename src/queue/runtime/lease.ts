/**
 * Keeps a message claimed while this process holds it (waiting for a worker, then running). A receive claims the
 * message until now + visibility timeout; a job that waits or runs longer would be handed to another receiver while
 * still here. So every `intervalMs` (less than the window) the claim is renewed to now + the queue's own visibility
 * timeout. Piri renews to now + 5 s whatever the queue's window, which shortens the manager queue's 60 s claim to
 * 5 s after the first renewal; this does not.
 */
import type { QueueStore } from '../types.ts';

export interface Lease {
  /** The message is about to be deleted: a renewal that finds it gone is expected, not a lost claim. */
  completing(): void;
  /**
   * Stops renewing and waits for a renewal already sent, so that a write that follows (the retry's backoff deadline
   * in particular) cannot be overwritten by a renewal that lands after it. Idempotent.
   */
  release(): Promise<void>;
}

export function holdLease(
  store: QueueStore,
  messageId: string,
  intervalMs: number,
  onError: (error: unknown) => void,
  onLost: () => void,
): Lease {
  let renewal: Promise<void> | undefined;
  let completing = false;
  const renew = async () => {
    try {
      // Gone (dead-lettered or purged by an operator, or deleted by its own completion): nothing left to hold.
      if (!(await store.extend(messageId, store.settings.visibilityTimeoutMs))) {
        clearInterval(timer);
        if (!completing) onLost();
      }
    } catch (error) {
      onError(error);
    }
  };
  const timer = setInterval(() => {
    // A renewal still in flight is enough: queueing another behind a slow database only adds load.
    renewal ??= renew().finally(() => {
      renewal = undefined;
    });
  }, intervalMs);
  return {
    completing() {
      completing = true;
    },
    async release() {
      clearInterval(timer);
      await renewal;
    },
  };
}
