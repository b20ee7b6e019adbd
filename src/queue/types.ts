/**
 * The queue contract. Two stores implement it per backend (plain: jobqueue/jobqueue_dead, dedup:
 * queues/job_ns/jobs/job_done/job_dead); the worker runtime is written against it and knows no dialect.
 *
 * Every operation is one transaction. `received` counts deliveries (Piri's MaxReceive counts deliveries too).
 */

/** A claimed message. The claim holds until `visibleAt`; after that another receiver may take it. */
export interface ReceivedMessage {
  /** Plain queue: `m_` + 32 hex. Dedup queue: the jobs.id as a decimal string. */
  readonly id: string;
  readonly body: Buffer;
  /** Deliveries so far, this one included. */
  readonly received: number;
}

export interface SendOptions {
  /** Not receivable before now + delayMs. Must be >= 0. */
  readonly delayMs?: number;
}

/** Fixed when the queue is opened: registry defaults for Piri's queues (spec 4.8), overridable. */
export interface QueueSettings {
  /** How long the claim of a receive holds before the message is receivable again. */
  readonly visibilityTimeoutMs: number;
  /** Messages with this many deliveries are not handed out again (they wait for the dead-letter sweep). */
  readonly maxDeliveries: number;
}

export type DeadLetterReason = 'permanent_error' | 'max_retries';

export interface DeadLetterInput {
  /** Stored in jobqueue_dead.job_name; the dedup queue recovers it from job_ns instead. */
  readonly jobName: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
}

export interface DeadLetter {
  readonly id: string;
  readonly queue: string;
  readonly jobName: string;
  readonly body: Buffer;
  readonly received: number;
  readonly reason: string;
  readonly error: string;
  readonly movedAt: Date;
}

export interface DeadLetterFilter {
  readonly ids?: readonly string[];
  readonly jobName?: string;
  /** Only dead letters moved before this instant. */
  readonly movedBefore?: Date;
  readonly limit?: number;
}

export interface QueueStats {
  readonly queue: string;
  /** Receivable now. */
  readonly ready: number;
  /** Claimed, visibility window still open. */
  readonly inFlight: number;
  /** Sent with a delay (or backed off) and not yet receivable, never delivered or delivered < max. */
  readonly delayed: number;
  /** Delivered maxDeliveries times and no longer claimed: waiting for the dead-letter sweep. */
  readonly exhausted: number;
  readonly dead: number;
  /** Age of the oldest message still in the queue, in ms (0 when empty). */
  readonly oldestAgeMs: number;
}

/** One queue of a store: what `dbs.replicator.queue('replication')` returns. */
export interface QueueStore {
  readonly name: string;
  readonly settings: QueueSettings;
  send(body: Uint8Array, options?: SendOptions): Promise<string | undefined>;
  /** All in one transaction: either every message is queued or none. */
  sendMany(bodies: readonly Uint8Array[], options?: SendOptions): Promise<(string | undefined)[]>;
  receive(): Promise<ReceivedMessage | undefined>;
  receiveMany(limit: number): Promise<ReceivedMessage[]>;
  /** Moves the visibility deadline to now + ms. False when the message is gone. */
  extend(id: string, ms: number): Promise<boolean>;
  /** Success: removes the message (the dedup queue also records its key as done). No-op when gone. */
  delete(id: string): Promise<void>;
  deleteMany(ids: readonly string[]): Promise<void>;
  deadLetter(id: string, input: DeadLetterInput): Promise<void>;
  /**
   * Moves messages whose last allowed delivery ended without an outcome (its process died) and whose window
   * has passed to the dead letters, reason max_retries. Returns how many moved.
   */
  sweepExhausted(): Promise<number>;
  deadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /** Puts dead letters back as new deliveries (received 0). Returns how many were requeued. */
  requeueDead(filter?: DeadLetterFilter): Promise<number>;
  purgeDead(filter?: DeadLetterFilter): Promise<number>;
  stats(): Promise<QueueStats>;
}
