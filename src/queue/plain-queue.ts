/**
 * The plain queue (Piri's goqite-derived jobqueue, data-model §4.3) over a dialect's driver: checks arguments, reads
 * the clock, makes ids; the driver runs the SQL. Times are epoch ms.
 */
import type { Clock } from '../clock.ts';
import type { Services } from '../services.ts';
import { QueueError } from '../errors.ts';
import {
  checkBodies,
  checkBody,
  checkClaims,
  checkDeadLetterInput,
  checkDuration,
  checkFilter,
  checkId,
  checkIds,
  checkLimit,
  checkSendOptions,
  deadlineMs,
  storableText,
} from './arguments.ts';
import { decode } from './envelope.ts';
import { SWEEP_ERROR, SWEEP_REASON, toDeadLetter } from './dead-letters.ts';
import { newMessageId, newMessageIds } from './message-id.ts';
import type { DeadSelection, PlainQueueSql } from './sql/types.ts';
import type { QueueWake, Watch, Watcher } from './wakeups/signals.ts';
import type {
  Claim,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterInput,
  QueueSettings,
  QueueStats,
  QueueStore,
  ReceivedMessage,
  SendOptions,
} from './types.ts';

export class PlainQueue implements QueueStore {
  readonly name: string;
  readonly settings: QueueSettings;
  readonly services: Services;
  readonly #sql: PlainQueueSql;
  readonly #clock: Clock;
  readonly #wake: QueueWake;

  constructor(sql: PlainQueueSql, services: Services, wake: QueueWake, name: string, settings: QueueSettings) {
    this.#sql = sql;
    this.services = services;
    this.#clock = services.clock;
    this.#wake = wake;
    this.name = name;
    this.settings = settings;
  }

  async send(body: Uint8Array, options?: SendOptions): Promise<string> {
    const bytes = checkBody(body, 'body');
    const now = this.#now();
    const visibleAt = deadlineMs(now, checkSendOptions(options), 'options.delayMs');
    const id = newMessageId(now);
    await this.#sql.send({ queue: this.name, id, body: bytes, now, visibleAt });
    this.#wake.announce(visibleAt);
    return id;
  }

  async sendMany(bodies: readonly Uint8Array[], options?: SendOptions): Promise<string[]> {
    const buffers = checkBodies(bodies);
    const now = this.#now();
    const visibleAt = deadlineMs(now, checkSendOptions(options), 'options.delayMs');
    if (buffers.length === 0) return [];
    const ids = newMessageIds(now, buffers.length);
    await this.#sql.sendMany({ queue: this.name, ids, bodies: buffers, now, visibleAt });
    this.#wake.announce(visibleAt);
    return ids;
  }

  async receive(): Promise<ReceivedMessage | undefined> {
    const [message] = await this.#claim(1);
    return message;
  }

  async receiveMany(limit: number): Promise<ReceivedMessage[]> {
    return this.#claim(checkLimit(limit, 'limit'));
  }

  async extend(id: string, ms: number): Promise<boolean> {
    checkId(id, 'id');
    const visibleAt = deadlineMs(this.#now(), checkDuration(ms, 'ms'), 'ms');
    return this.#sql.extend({ queue: this.name, id, visibleAt });
  }

  async delete(id: string): Promise<void> {
    await this.#sql.deleteMany({ queue: this.name, ids: [checkId(id, 'id')] });
  }

  async deleteMany(ids: readonly string[]): Promise<void> {
    const checked = checkIds(ids, 'ids', checkId);
    if (checked.length > 0) await this.#sql.deleteMany({ queue: this.name, ids: checked });
  }

  async release(claims: readonly Claim[]): Promise<number> {
    const { ids, deliveries } = checkClaims(claims, checkId);
    if (ids.length === 0) return 0;
    const now = this.#now();
    const released = await this.#sql.release({ queue: this.name, ids, deliveries, now });
    if (released > 0) this.#wake.announce(now);
    return released;
  }

  async deadLetter(id: string, input: DeadLetterInput): Promise<void> {
    checkId(id, 'id');
    const { jobName, reason, error } = checkDeadLetterInput(input);
    const moved = await this.#sql.deadLetter({ queue: this.name, id, jobName, reason, error, now: this.#now() });
    if (!moved) throw new QueueError('MESSAGE_NOT_FOUND', `message ${id} not found in queue ${this.name}`);
  }

  async sweepExhausted(): Promise<number> {
    return this.#sql.sweepExhausted({
      queue: this.name,
      now: this.#now(),
      maxDeliveries: this.settings.maxDeliveries,
      reason: SWEEP_REASON,
      error: SWEEP_ERROR,
      jobNameOf,
    });
  }

  async deadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]> {
    return (await this.#sql.listDead(this.#selection(filter))).map(toDeadLetter);
  }

  async requeueDead(filter?: DeadLetterFilter): Promise<number> {
    const now = this.#now();
    const requeued = await this.#sql.requeueDead({ ...this.#selection(filter), now });
    if (requeued > 0) this.#wake.announce(now);
    return requeued;
  }

  async purgeDead(filter?: DeadLetterFilter): Promise<number> {
    return this.#sql.purgeDead(this.#selection(filter));
  }

  watch(watcher: Watcher): Watch {
    return this.#wake.watch(watcher);
  }

  async stats(): Promise<QueueStats> {
    const now = this.#now();
    const { oldestCreatedMs, ...counts } = await this.#sql.stats({ queue: this.name, now, maxDeliveries: this.settings.maxDeliveries });
    return { queue: this.name, ...counts, oldestAgeMs: oldestCreatedMs === undefined ? 0 : Math.max(0, now - oldestCreatedMs) };
  }

  #claim(limit: number): Promise<ReceivedMessage[]> {
    const now = this.#now();
    return this.#sql.claim({
      queue: this.name,
      now,
      visibleAt: deadlineMs(now, this.settings.visibilityTimeoutMs, 'settings.visibilityTimeoutMs'),
      maxDeliveries: this.settings.maxDeliveries,
      limit,
    });
  }

  #selection(filter: DeadLetterFilter | undefined): DeadSelection<string, number> {
    const { movedBeforeMs, ...rest } = checkFilter(filter, checkId);
    return { queue: this.name, ...rest, movedBefore: movedBeforeMs };
  }

  /** Whole ms: the SQLite text format has ms resolution, and ids embed the ms. */
  #now(): number {
    return Math.floor(this.#clock.now());
  }
}

/**
 * jobqueue_dead.job_name for a swept message: the envelope's job name, or '' when the body is not an envelope. Made
 * storable like any dead letter's job name: one U+0000 in a name would otherwise fail every sweep of the queue on
 * Postgres, leaving every exhausted message stuck.
 */
function jobNameOf(body: Buffer): string {
  try {
    return storableText(decode(body).name);
  } catch {
    return '';
  }
}
