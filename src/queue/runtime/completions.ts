/**
 * Group commit of successful jobs. Deleting each message in its own transaction costs one commit (one fsync on
 * Postgres) per job; instead the ids of finished jobs are collected and deleted with one deleteMany per batch.
 * A batch is written when it is full, or `delayMs` after its first id arrived, or at once when the previous
 * write finishes with ids waiting (while one commit is in flight the next batch builds up, as in a database's
 * own group commit). One write at a time keeps the order of events simple and the load bounded.
 *
 * A job counts as done only once the delete holding its id has committed. If the process dies before that, or
 * the delete fails, the message is still in the queue and is delivered again when its visibility window ends:
 * batching delays the acknowledgement by a few milliseconds, it does not weaken at-least-once delivery.
 */
import type { QueueStore } from '../types.ts';

export class Completions {
  readonly #store: QueueStore;
  readonly #batchSize: number;
  readonly #delayMs: number;
  readonly #onError: (error: unknown, ids: readonly string[]) => void;
  #pending: string[] = [];
  /** Beside #pending: what resolves each id's add() once its batch has been written. */
  #written: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;

  constructor(store: QueueStore, batchSize: number, delayMs: number, onError: (error: unknown, ids: readonly string[]) => void) {
    this.#store = store;
    this.#batchSize = batchSize;
    this.#delayMs = delayMs;
    this.#onError = onError;
  }

  /**
   * Records a successful job; its message is deleted with the next batch. Resolves once that batch has been written:
   * committed, or failed and reported. Never rejects.
   */
  add(id: string): Promise<void> {
    const written = new Promise<void>((resolve) => this.#written.push(resolve));
    this.#pending.push(id);
    if (this.#pending.length >= this.#batchSize) this.#write();
    else this.#timer ??= setTimeout(() => this.#write(), this.#delayMs);
    return written;
  }

  /** Writes everything recorded so far and resolves once it has committed (or failed and been reported). */
  async flush(): Promise<void> {
    this.#write();
    while (this.#writing !== undefined) await this.#writing;
  }

  #write(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A write in flight takes what is pending when it finishes (the `finally` below).
    if (this.#writing !== undefined || this.#pending.length === 0) return;
    const ids = this.#pending.splice(0, this.#batchSize);
    const written = this.#written.splice(0, ids.length);
    this.#writing = this.#delete(ids).finally(() => {
      for (const resolve of written) resolve();
      this.#writing = undefined;
      this.#write();
    });
  }

  async #delete(ids: readonly string[]): Promise<void> {
    try {
      await this.#store.deleteMany(ids);
    } catch (error) {
      this.#onError(error, ids);
    }
  }
}
