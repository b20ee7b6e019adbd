/** Timers for the task engine's loops. They schedule work; they are not data time (that comes from the Clock). */

/**
 * The loops' sleep (real timers: this schedules work, it is not data time). wake() ends it now, shorten(ms) ends it
 * within ms; either, called while not sleeping, applies to the next sleep.
 */
export class WakeableSleep {
  #resolve?: () => void;
  #timer?: NodeJS.Timeout;
  #deadline = 0;
  #pending?: number;

  sleep(ms: number): Promise<void> {
    const wait = Math.min(ms, this.#pending ?? ms);
    this.#pending = undefined;
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#resolve = resolve;
      this.#arm(wait);
    });
  }

  wake(): void {
    this.shorten(0);
  }

  shorten(ms: number): void {
    if (!this.#resolve) {
      this.#pending = Math.min(ms, this.#pending ?? ms);
    } else if (ms <= 0) {
      this.#fire();
    } else if (this.#deadline > Date.now() + ms) {
      this.#arm(ms);
    }
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#deadline = Date.now() + ms;
    this.#timer = setTimeout(() => this.#fire(), ms);
  }

  #fire(): void {
    clearTimeout(this.#timer);
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.();
  }
}

export function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void promise.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
