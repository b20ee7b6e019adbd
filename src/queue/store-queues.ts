/**
 * The queues a store offers: `queue(name)` and `dedupQueue(name)` on each Store. Drivers (and their prepared
 * statements) are made once per store on first use, so a store without queue tables never prepares anything;
 * a queue object is made once per name and settings.
 */
import type { StoreConnection } from '../backend/types.ts';
import type { Services } from '../services.ts';
import { checkQueueName } from './arguments.ts';
import { DedupQueue } from './dedup-queue.ts';
import { PlainQueue } from './plain-queue.ts';
import { type DedupQueueOverrides, dedupQueueSettings, plainQueueSettings, type QueueOverrides } from './settings.ts';
import { dedupQueueSql, plainQueueSql } from './sql/index.ts';
import type { DedupQueueSql, PlainQueueSql } from './sql/types.ts';
import type { DedupQueueSettings, QueueStore } from './types.ts';
import { type QueueSignals, queueWake } from './wakeups/signals.ts';

export interface StoreQueues {
  /**
   * A plain queue of this store: Piri's settings for its queue names (data-model §4.8), otherwise 3 deliveries and a
   * 5 s window (goqite's defaults), then `overrides`. A QueueError when the store has no plain queue tables.
   */
  queue(name: string, overrides?: QueueOverrides): QueueStore;
  /** A dedup queue; only the aggregator store has the tables. Defaults as queue(), dedupe and blocking on. */
  dedupQueue(name: string, overrides?: DedupQueueOverrides): QueueStore<DedupQueueSettings>;
}

export function storeQueues(connection: StoreConnection, services: Services, signals: QueueSignals): StoreQueues {
  let plainSql: PlainQueueSql | undefined;
  let dedupSql: DedupQueueSql | undefined;
  const plainQueues = new Map<string, PlainQueue>();
  const dedupQueues = new Map<string, DedupQueue>();
  const once = <Q extends PlainQueue | DedupQueue>(opened: Map<string, Q>, key: unknown[], open: () => Q): Q => {
    const id = JSON.stringify(key);
    let queue = opened.get(id);
    if (queue === undefined) {
      queue = open();
      opened.set(id, queue);
    }
    return queue;
  };
  return {
    queue(name, overrides) {
      const settings = plainQueueSettings(connection.store, checkQueueName(name), overrides);
      return once(plainQueues, ['plain', name, settings], () => {
        const wake = queueWake(signals, connection.store.name, name);
        return new PlainQueue((plainSql ??= plainQueueSql(connection, signals)), services, wake, name, settings);
      });
    },
    dedupQueue(name, overrides) {
      const settings = dedupQueueSettings(connection.store, checkQueueName(name), overrides);
      return once(dedupQueues, ['dedup', name, settings], () => {
        const wake = queueWake(signals, connection.store.name, name);
        return new DedupQueue((dedupSql ??= dedupQueueSql(connection, signals)), services, wake, name, settings);
      });
    },
  };
}
