/**
 * The queue contract. Two stores implement it per backend (plain: jobqueue/jobqueue_dead, dedup:
 * queues/job_ns/jobs/job_done/job_dead); the worker runtime is written against it and knows no dialect.
 *
 * Every operation is one transaction. `received` counts deliveries (Piri's MaxReceive counts deliveries too).
 */
import type { Services } from '../services.ts';
import type { Watch, Watcher } from './wakeups/signals.ts';

/** A claimed message. The claim holds for the queue's visibility timeout (or until extended); after that another receiver may take it. */
export interface ReceivedMessage {
  /** Plain queue: `m_` + 32 hex. Dedup queue: the jobs.id as a decimal string. */
  readonly id: string;
  readonly body: Buffer;
  /** Deliveries so far, this one included. */
  readonly received: number;
}

/** A claim to give back: the message and the delivery it was claimed for (its `received` when received). */
export interface Claim {
  readonly id: string;
  readonly delivery: number;
}

/** How QueueStore.send delivers a message; without options it is receivable at once. */
export interface SendOptions {
  /** Not receivable before now + delayMs. Must be >= 0. */
  readonly delayMs?: number;
}

/** Fixed when the queue is opened: registry defaults for Piri's queues (data-model §4.8), overridable. */
export interface QueueSettings {
  /** How long the claim of a receive holds before the message is receivable again. */
  readonly visibilityTimeoutMs: number;
  /** Messages with this many deliveries are not handed out again (they wait for the dead-letter sweep). */
  readonly maxDeliveries: number;
}

/** Piri's dedup options (data-model §4.5); both default to true, the aggregator queue runs with the second off. */
export interface DedupeSettings {
  /** A key that succeeded once is never queued again (job_done status 1). */
  readonly enabled: boolean;
  /** With `enabled`, a dead-lettered key is never queued again either (job_done status 2), until requeued. */
  readonly blockRepeatsAfterDeadLetter: boolean;
}

/** A dedup queue's settings: the plain queue's, plus whether repeated payloads are refused. */
export interface DedupQueueSettings extends QueueSettings {
  readonly dedupe: DedupeSettings;
}

/** Why a message was dead-lettered: a handler's PermanentError, or its last allowed delivery failed. */
export type DeadLetterReason = 'permanent_error' | 'max_retries';

/** What QueueStore.deadLetter records with the message it moves to the dead-letter table. */
export interface DeadLetterInput {
  /** Stored in jobqueue_dead.job_name; the dedup queue recovers it from job_ns instead. */
  readonly jobName: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
}

/** A dead-lettered message as the dead-letter reads return it: its body, the delivery count and why it was moved. */
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

/** All given conditions must hold. The operations take dead letters oldest first (moved, then id). */
export interface DeadLetterFilter {
  readonly ids?: readonly string[];
  readonly jobName?: string;
  /** Only dead letters moved before this instant. */
  readonly movedBefore?: Date;
  /** At most this many (>= 1). */
  readonly limit?: number;
}

/**
 * Counts of one queue at the clock's now. ready, inFlight, delayed and exhausted partition the live messages:
 *
 *   visible (deadline <= now)    deliveries < maxDeliveries    -> ready
 *                                deliveries >= maxDeliveries   -> exhausted
 *   not visible (deadline > now) deliveries > 0                -> inFlight
 *                                deliveries = 0                -> delayed
 */
export interface QueueStats {
  readonly queue: string;
  /** Receivable now. */
  readonly ready: number;
  /**
   * Delivered at least once and not receivable yet: claimed with the window open, or waiting out a retry delay
   * set with extend (the tables do not tell the two apart).
   */
  readonly inFlight: number;
  /** Never delivered and not receivable yet: sent with a delay. */
  readonly delayed: number;
  /** Delivered maxDeliveries times and no longer claimed: waiting for the dead-letter sweep. */
  readonly exhausted: number;
  /** Dead letters of this queue. */
  readonly dead: number;
  /** Age of the oldest live message (any of the four states above), in ms; 0 when there is none. */
  readonly oldestAgeMs: number;
}

/** One queue of a store: what `dbs.replicator.queue('replication')` returns. */
export interface QueueStore<S extends QueueSettings = QueueSettings> {
  readonly name: string;
  readonly settings: S;
  /**
   * The clock and logger of the installation the queue was opened from (openDatabases' options); createJobQueue
   * logs through that logger unless its own options name one. Absent on a QueueStore made elsewhere.
   */
  readonly services?: Services;
  /** The new message's id; undefined when the dedup queue skips a duplicate (not an error). */
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
  /**
   * Gives claims back unfinished (a shutdown that cannot wait for them): each message is receivable at once and the
   * delivery it was claimed for is not counted. A message received again since (its count moved on: the claim had
   * lapsed and another receiver took it) or gone is left alone. Returns how many were given back.
   */
  release(claims: readonly Claim[]): Promise<number>;
  /** Plain queue: a missing message is a QueueError MESSAGE_NOT_FOUND (Piri). Dedup queue: a no-op (Piri). */
  deadLetter(id: string, input: DeadLetterInput): Promise<void>;
  /**
   * Moves messages whose last allowed delivery ended without an outcome (its process died) and whose window
   * has passed to the dead letters, reason max_retries. Returns how many moved.
   */
  sweepExhausted(): Promise<number>;
  deadLetters(filter?: DeadLetterFilter): Promise<DeadLetter[]>;
  /**
   * Puts dead letters back as new deliveries (received 0, receivable now). Returns how many left the dead letters.
   * The dedup queue drops, instead of requeueing, one whose key is live again or (dedupe on) done since.
   */
  requeueDead(filter?: DeadLetterFilter): Promise<number>;
  purgeDead(filter?: DeadLetterFilter): Promise<number>;
  stats(): Promise<QueueStats>;
  /**
   * Calls `watcher.ready()` when messages of this queue may have become receivable: after a send, sendMany, release
   * or requeueDead of this installation (on PostgreSQL, of any process, through LISTEN), at once or when a delay
   * runs out. A hint for idle consumers; the worker runtime polls slowly besides, and at its poll interval while
   * `live` is false. `stop()` ends the watch.
   */
  watch(watcher: Watcher): Watch;
}
