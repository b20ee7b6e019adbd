/**
 * A QueueStore that passes every call through to a real one and writes down what the worker runtime asked and what
 * the database answered: which deliveries each claim returned and when, which claim renewals committed, which
 * deletes failed. Nothing is faked or altered (results and errors go back unchanged); the record is what lets a
 * fault test explain every duplicate delivery instead of only counting them.
 *
 * Times are Date.now() read right BEFORE a call (a lower bound of the "now" the store read from its clock, the
 * system clock) and right AFTER it returned (an upper bound).
 */
import type { QueueSettings, QueueStore, ReceivedMessage } from '../../../src/queue/types.ts';

export interface ClaimRecord {
  readonly delivery: number;
  readonly before: number;
  readonly after: number;
}

export interface StoreObservations {
  /** Per message id, every delivery a claim returned, in order. */
  readonly claims: Map<string, ClaimRecord[]>;
  /** Per message id, the `before` time of every extend that committed (returned true). */
  readonly extended: Map<string, number[]>;
  /** Per message id, how many deleteMany calls holding it failed. */
  readonly failedDeletes: Map<string, number>;
  /** Failed calls per operation name. */
  readonly failures: Map<string, number>;
}

export function observed<S extends QueueSettings>(store: QueueStore<S>): { store: QueueStore<S>; observations: StoreObservations } {
  const observations: StoreObservations = { claims: new Map(), extended: new Map(), failedDeletes: new Map(), failures: new Map() };
  const push = <T>(map: Map<string, T[]>, id: string, value: T) => {
    const list = map.get(id);
    if (list === undefined) map.set(id, [value]);
    else list.push(value);
  };
  const failed = (operation: string) => observations.failures.set(operation, (observations.failures.get(operation) ?? 0) + 1);
  const watch = async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      failed(operation);
      throw error;
    }
  };
  const claimed = (before: number, messages: ReceivedMessage[]) => {
    const after = Date.now();
    for (const m of messages) push(observations.claims, m.id, { delivery: m.received, before, after });
    return messages;
  };

  const wrapper: QueueStore<S> = {
    name: store.name,
    settings: store.settings,
    send: (body, options) => watch('send', () => store.send(body, options)),
    sendMany: (bodies, options) => watch('sendMany', () => store.sendMany(bodies, options)),
    async receive() {
      const before = Date.now();
      const message = await watch('receive', () => store.receive());
      return message === undefined ? undefined : claimed(before, [message])[0];
    },
    async receiveMany(limit) {
      const before = Date.now();
      return claimed(before, await watch('receiveMany', () => store.receiveMany(limit)));
    },
    async extend(id, ms) {
      const before = Date.now();
      const ok = await watch('extend', () => store.extend(id, ms));
      if (ok) push(observations.extended, id, before);
      return ok;
    },
    release: (claims) => watch('release', () => store.release(claims)),
    delete: (id) => wrapper.deleteMany([id]),
    async deleteMany(ids) {
      try {
        await store.deleteMany(ids);
      } catch (error) {
        failed('deleteMany');
        for (const id of ids) observations.failedDeletes.set(id, (observations.failedDeletes.get(id) ?? 0) + 1);
        throw error;
      }
    },
    deadLetter: (id, input) => watch('deadLetter', () => store.deadLetter(id, input)),
    sweepExhausted: () => watch('sweepExhausted', () => store.sweepExhausted()),
    deadLetters: (filter) => watch('deadLetters', () => store.deadLetters(filter)),
    requeueDead: (filter) => watch('requeueDead', () => store.requeueDead(filter)),
    purgeDead: (filter) => watch('purgeDead', () => store.purgeDead(filter)),
    stats: () => watch('stats', () => store.stats()),
    watch: (watcher) => store.watch(watcher),
  };
  return { store: wrapper, observations };
}
