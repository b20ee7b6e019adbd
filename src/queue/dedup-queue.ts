/**
 * The dedup queue (Piri's lib/jobqueue/dedup, data-model §4.5) over a dialect's driver. A message's key is the SHA-256
 * of its payload (the envelope's decoded `message`, not the envelope, so trace data does not matter), scoped to
 * (queue, job name). Ids are the jobs.id as decimal strings.
 *
 * Times in the tables are whole epoch seconds. "Now" is the current second (floored); every deadline in the
 * future (a send delay, a claim's window, an extension) is rounded UP to a whole second, so it is never shorter
 * than asked. Piri truncates both, so a sub-second window collapses to 0 and the message is receivable again at
 * once; here a 500 ms window lasts until the next whole second after now + 500 ms.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.ts';
import type { Services } from '../services.ts';
import {
  checkBodies,
  checkBody,
  checkClaims,
  checkDeadLetterInput,
  checkDuration,
  checkFilter,
  checkIds,
  checkLimit,
  checkNameLength,
  checkSendOptions,
  checkStorable,
  deadlineMs,
  invalidArgument,
  show,
} from './arguments.ts';
import { decode } from './envelope.ts';
import { SWEEP_ERROR, SWEEP_REASON, toDeadLetter } from './dead-letters.ts';
import type { DeadSelection, DedupMessage, DedupQueueSql } from './sql/types.ts';
import type { QueueWake, Watch, Watcher } from './wakeups/signals.ts';
import type {
  Claim,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterInput,
  DedupQueueSettings,
  QueueStats,
  QueueStore,
  ReceivedMessage,
  SendOptions,
} from './types.ts';

export class DedupQueue implements QueueStore<DedupQueueSettings> {
  readonly name: string;
  readonly settings: DedupQueueSettings;
  readonly services: Services;
  readonly #sql: DedupQueueSql;
  readonly #clock: Clock;
  /** job_ns ids by job name: rows that are never deleted, looked up once per process. */
  readonly #namespaces = new Map<string, Promise<number>>();
  #registered: Promise<void> | undefined;

  readonly #wake: QueueWake;

  constructor(sql: DedupQueueSql, services: Services, wake: QueueWake, name: string, settings: DedupQueueSettings) {
    this.#sql = sql;
    this.services = services;
    this.#clock = services.clock;
    this.#wake = wake;
    this.name = name;
    this.settings = settings;
  }

  async send(body: Uint8Array, options?: SendOptions): Promise<string | undefined> {
    const envelope = checkBody(body, 'body');
    const now = this.#now();
    const visibleAtS = deadlineSeconds(now, checkSendOptions(options), 'options.delayMs');
    const message = await this.#message(envelope, 'body');
    const id = await this.#sql.send({ queue: this.name, message, nowS: seconds(now), visibleAtS, dedupeEnabled: this.settings.dedupe.enabled });
    if (id !== undefined) this.#wake.announce(visibleAtS * 1000);
    return id;
  }

  async sendMany(bodies: readonly Uint8Array[], options?: SendOptions): Promise<(string | undefined)[]> {
    const envelopes = checkBodies(bodies);
    const now = this.#now();
    const visibleAtS = deadlineSeconds(now, checkSendOptions(options), 'options.delayMs');
    if (envelopes.length === 0) return [];
    // Every envelope is read before anything is written: one bad body fails the batch, as one transaction would.
    const messages = await Promise.all(envelopes.map((envelope, i) => this.#message(envelope, `bodies[${i}]`)));
    const ids = await this.#sql.sendMany({ queue: this.name, messages, nowS: seconds(now), visibleAtS, dedupeEnabled: this.settings.dedupe.enabled });
    if (ids.some((id) => id !== undefined)) this.#wake.announce(visibleAtS * 1000);
    return ids;
  }

  async receive(): Promise<ReceivedMessage | undefined> {
    return (await this.#claim(1))[0];
  }

  async receiveMany(limit: number): Promise<ReceivedMessage[]> {
    return this.#claim(checkLimit(limit, 'limit'));
  }

  /** Scoped to this queue (Piri's is not: any queue's job id would do). */
  async extend(id: string, ms: number): Promise<boolean> {
    const jobId = checkJobId(id, 'id');
    const visibleAtS = deadlineSeconds(this.#now(), checkDuration(ms, 'ms'), 'ms');
    await this.#register();
    return this.#sql.extend({ queue: this.name, id: jobId, visibleAtS });
  }

  async delete(id: string): Promise<void> {
    await this.#deleteMany([checkJobId(id, 'id')]);
  }

  async deleteMany(ids: readonly string[]): Promise<void> {
    const jobIds = checkIds(ids, 'ids', checkJobId);
    if (jobIds.length > 0) await this.#deleteMany(jobIds);
  }

  async release(claims: readonly Claim[]): Promise<number> {
    const { ids, deliveries } = checkClaims(claims, checkJobId);
    if (ids.length === 0) return 0;
    await this.#register();
    const now = this.#now();
    const released = await this.#sql.release({ queue: this.name, ids, deliveries, nowS: seconds(now) });
    if (released > 0) this.#wake.announce(now);
    return released;
  }

  /** The job name is not stored: job_dead recovers it from job_ns. A missing id is a no-op, as in Piri. */
  async deadLetter(id: string, input: DeadLetterInput): Promise<void> {
    const jobId = checkJobId(id, 'id');
    const { reason, error } = checkDeadLetterInput(input);
    await this.#register();
    await this.#sql.deadLetter({ queue: this.name, id: jobId, reason, error, nowS: seconds(this.#now()), blockRepeats: this.#blockRepeats() });
  }

  async sweepExhausted(): Promise<number> {
    await this.#register();
    return this.#sql.sweepExhausted({
      queue: this.name,
      nowS: seconds(this.#now()),
      maxDeliveries: this.settings.maxDeliveries,
      reason: SWEEP_REASON,
      error: SWEEP_ERROR,
      blockRepeats: this.#blockRepeats(),
    });
  }

  async deadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    const selection = this.#selection(filter);
    await this.#register();
    return (await this.#sql.listDead(selection)).map(toDeadLetter);
  }

  async requeueDead(filter?: DeadLetterFilter): Promise<number> {
    const selection = this.#selection(filter);
    await this.#register();
    const now = this.#now();
    const requeued = await this.#sql.requeueDead({ ...selection, nowS: seconds(now), dedupeEnabled: this.settings.dedupe.enabled });
    if (requeued > 0) this.#wake.announce(now);
    return requeued;
  }

  async purgeDead(filter?: DeadLetterFilter): Promise<number> {
    const selection = this.#selection(filter);
    await this.#register();
    return this.#sql.purgeDead(selection);
  }

  watch(watcher: Watcher): Watch {
    return this.#wake.watch(watcher);
  }

  async stats(): Promise<QueueStats> {
    await this.#register();
    const now = this.#now();
    const { oldestCreatedMs, ...counts } = await this.#sql.stats({ queue: this.name, nowS: seconds(now), maxDeliveries: this.settings.maxDeliveries });
    return { queue: this.name, ...counts, oldestAgeMs: oldestCreatedMs === undefined ? 0 : Math.max(0, now - oldestCreatedMs) };
  }

  async #claim(limit: number): Promise<ReceivedMessage[]> {
    await this.#register();
    const now = this.#now();
    return this.#sql.claim({
      queue: this.name,
      nowS: seconds(now),
      visibleAtS: deadlineSeconds(now, this.settings.visibilityTimeoutMs, 'settings.visibilityTimeoutMs'),
      maxDeliveries: this.settings.maxDeliveries,
      limit,
    });
  }

  async #deleteMany(ids: number[]): Promise<void> {
    await this.#register();
    await this.#sql.deleteMany({ queue: this.name, ids, nowS: seconds(this.#now()), dedupeEnabled: this.settings.dedupe.enabled });
  }

  /**
   * Parses the envelope (Piri's errors for a bad one) and resolves its job name's namespace. The name is a key
   * (job_ns.name): one with U+0000 in it, which PostgreSQL text cannot hold, or longer than its index takes, is
   * refused on both backends.
   */
  async #message(envelope: Buffer, argument: string): Promise<DedupMessage> {
    const { name, message } = decode(envelope);
    const what = `${argument}: the envelope's job name`;
    checkNameLength(checkStorable(name, what), what);
    await this.#register();
    return { nsId: await this.#namespace(name), key: createHash('sha256').update(message).digest(), body: envelope };
  }

  #namespace(jobName: string): Promise<number> {
    let id = this.#namespaces.get(jobName);
    if (id === undefined) {
      id = this.#sql.namespace({ queue: this.name, jobName });
      // A failed lookup is not remembered: the next call tries again.
      id.catch(() => this.#namespaces.delete(jobName));
      this.#namespaces.set(jobName, id);
    }
    return id;
  }

  /** Piri's informational `queues` row, written once, before the queue's first use. */
  #register(): Promise<void> {
    this.#registered ??= this.#sql.registerQueue({ queue: this.name, dedupeEnabled: this.settings.dedupe.enabled }).catch((error: unknown) => {
      this.#registered = undefined;
      throw error;
    });
    return this.#registered;
  }

  #blockRepeats(): boolean {
    return this.settings.dedupe.enabled && this.settings.dedupe.blockRepeatsAfterDeadLetter;
  }

  #selection(filter: DeadLetterFilter | undefined): DeadSelection<number, number> {
    const { movedBeforeMs, ...rest } = checkFilter(filter, checkJobId);
    // moved_s * 1000 < movedBefore, in whole seconds.
    return { queue: this.name, ...rest, movedBefore: movedBeforeMs === undefined ? undefined : Math.ceil(movedBeforeMs / 1000) };
  }

  #now(): number {
    return Math.floor(this.#clock.now());
  }
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The epoch second from which a message is receivable: a zero delay means now, any other is rounded up. */
function deadlineSeconds(now: number, ms: number, argument: string): number {
  return ms === 0 ? seconds(now) : Math.ceil(deadlineMs(now, ms, argument) / 1000);
}

/** Dedup ids are jobs.id values as decimal strings. */
function checkJobId(id: unknown, argument: string): number {
  const jobId = typeof id === 'string' && /^[0-9]+$/.test(id) ? Number(id) : Number.NaN;
  if (!Number.isSafeInteger(jobId)) throw invalidArgument(`${argument} must be a dedup message id (a decimal integer string), got ${show(id)}`);
  return jobId;
}
