/**
 * Wake-ups: how an idle worker pool learns that messages may be receivable, instead of polling for them. Every
 * write that makes messages receivable (send, sendMany, release, requeueDead) is announced with the time they
 * become receivable; a pool watching that queue claims at that time. On SQLite the single writer means every sender
 * is in this process, so the announcement is all there is; on PostgreSQL the writing statement also NOTIFYs, and
 * each process's one LISTEN connection turns other processes' writes into the same announcements
 * (postgres-signals.ts).
 *
 * Watchers are keyed by store and queue name. A signal is a hint, never a promise: a pool still polls, slowly while
 * signals are live and at its poll interval while they are not (Watch.live), so a lost signal costs latency, not a job.
 */
import type { Clock } from '../../clock.ts';
import { MAX_TIMER_MS } from '../runtime/options.ts';

/** A subscription made by QueueStore.watch; stop() ends it. */
export interface Watch {
  /** False while signals may be missed (the PostgreSQL listener is down or unavailable). */
  readonly live: boolean;
  stop(): void;
}

/** What QueueStore.watch calls when messages may have become receivable, so a consumer polls less. */
export interface Watcher {
  /** Messages may be receivable now. */
  ready(): void;
  /** Signals stopped (`live` false, with the reason) or came back (`live` true). Ready is called too either way. */
  changed?(live: boolean, reason?: string): void;
}

export interface QueueSignals {
  /** A write of this process made messages of the queue receivable at visibleAtMs (now, or later for a delay). */
  announce(store: string, queue: string, visibleAtMs: number): void;
  watch(store: string, queue: string, watcher: Watcher): Watch;
  close(): Promise<void>;
}

/** One queue's side of the signals: what its store announces, what its worker pool watches. */
export interface QueueWake {
  announce(visibleAtMs: number): void;
  watch(watcher: Watcher): Watch;
}

export function queueWake(signals: QueueSignals, store: string, queue: string): QueueWake {
  return {
    announce: (visibleAtMs) => signals.announce(store, queue, visibleAtMs),
    watch: (watcher) => signals.watch(store, queue, watcher),
  };
}

/** Announcements delivered in this process: at once, or by a timer for a time still to come. */
export class LocalSignals implements QueueSignals {
  readonly #clock: Clock;
  readonly #watchers = new Map<string, Set<Watcher>>();
  /** The earliest future announcement per queue that has watchers. */
  readonly #timers = new Map<string, { readonly at: number; readonly timer: NodeJS.Timeout }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get live(): boolean {
    return true;
  }

  announce(store: string, queue: string, visibleAtMs: number): void {
    const key = keyOf(store, queue);
    if (!this.#watchers.has(key)) return;
    const delay = visibleAtMs - this.#clock.now();
    if (delay <= 0) return this.#ready(key);
    const armed = this.#timers.get(key);
    if (armed !== undefined && armed.at <= visibleAtMs) return;
    clearTimeout(armed?.timer);
    // A time past what a timer can wait wakes the pool early; it finds nothing and arms nothing: its poll covers it.
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.#ready(key);
    }, Math.min(delay, MAX_TIMER_MS));
    this.#timers.set(key, { at: visibleAtMs, timer });
  }

  watch(store: string, queue: string, watcher: Watcher, live: () => boolean = () => this.live): Watch {
    const key = keyOf(store, queue);
    const set = this.#watchers.get(key) ?? new Set<Watcher>();
    this.#watchers.set(key, set.add(watcher));
    return {
      get live() {
        return live();
      },
      stop: () => {
        set.delete(watcher);
        if (set.size > 0) return;
        this.#watchers.delete(key);
        clearTimeout(this.#timers.get(key)?.timer);
        this.#timers.delete(key);
      },
    };
  }

  /** Every watcher: signals were lost or are back, so each queue may have messages nobody announced. */
  changed(live: boolean, reason?: string): void {
    for (const set of this.#watchers.values()) {
      for (const watcher of set) {
        watcher.changed?.(live, reason);
        watcher.ready();
      }
    }
  }

  async close(): Promise<void> {
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#watchers.clear();
  }

  #ready(key: string): void {
    for (const watcher of this.#watchers.get(key) ?? []) watcher.ready();
  }
}

function keyOf(store: string, queue: string): string {
  return `${store}\u0000${queue}`;
}
