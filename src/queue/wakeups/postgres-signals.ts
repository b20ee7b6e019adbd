/**
 * Wake-ups across processes on PostgreSQL. The queue statements that make messages receivable NOTIFY on one
 * channel for the whole installation, inside the writing transaction, so a notification is delivered exactly when
 * the messages are there to claim (at commit) and never for a rolled-back write. Each process LISTENs once, for all
 * its queues, on a connection of its own (backend/postgres/listener.ts), started by the first watch.
 *
 * The payload is `<origin>:<visible at, epoch ms>:<store>:<queue>`; origin tags the Databases instance that wrote,
 * whose own writes were already announced in-process, so it skips their notifications. Queue names may hold ':';
 * they come last.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from 'postgres';
import { type ChannelListener, listenChannel, type ListenerTiming } from '../../backend/postgres/listener.ts';
import type { Clock } from '../../clock.ts';
import { LocalSignals, type QueueSignals, type Watch, type Watcher } from './signals.ts';

export const WAKE_CHANNEL = 'piri_db_queue_ready';

/** What a writing statement NOTIFYs: built in JS, passed as a parameter. */
export type WakePayload = (store: string, queue: string, visibleAtMs: number) => string;

export class PostgresSignals implements QueueSignals {
  readonly #url: string;
  readonly #pool: Sql;
  readonly #timing: ListenerTiming | undefined;
  readonly #local: LocalSignals;
  readonly #origin = randomBytes(8).toString('hex');
  #listener: ChannelListener | undefined;
  #live = false;

  constructor(url: string, pool: Sql, clock: Clock, timing?: ListenerTiming) {
    this.#url = url;
    this.#pool = pool;
    this.#timing = timing;
    this.#local = new LocalSignals(clock);
  }

  readonly payload: WakePayload = (store, queue, visibleAtMs) => `${this.#origin}:${visibleAtMs}:${store}:${queue}`;

  announce(store: string, queue: string, visibleAtMs: number): void {
    this.#local.announce(store, queue, visibleAtMs);
  }

  watch(store: string, queue: string, watcher: Watcher): Watch {
    this.#listener ??= listenChannel(
      this.#url,
      this.#pool,
      WAKE_CHANNEL,
      {
        onNotify: (payload) => this.#notified(payload),
        onUp: () => {
          this.#live = true;
          this.#local.changed(true);
        },
        onDown: (reason) => {
          this.#live = false;
          this.#local.changed(false, reason);
        },
      },
      this.#timing,
    );
    return this.#local.watch(store, queue, watcher, () => this.#live);
  }

  async close(): Promise<void> {
    this.#live = false;
    await this.#listener?.close();
    await this.#local.close();
  }

  #notified(payload: string): void {
    const [origin, at, store, ...queue] = payload.split(':');
    const visibleAtMs = Number(at);
    if (origin === this.#origin || store === undefined || queue.length === 0 || !Number.isFinite(visibleAtMs)) return;
    this.#local.announce(store, queue.join(':'), visibleAtMs);
  }
}
