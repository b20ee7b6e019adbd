/**
 * The queue drivers: every statement the two queue kinds run, once per dialect (sqlite.ts, postgres.ts, same
 * names in the same order). Operations are lifecycle steps, each one transaction, each taking one params object.
 * Inputs arrive checked and normalised (plain-queue.ts, dedup-queue.ts): times are whole numbers from the
 * queue's Clock, ms for the plain queue and epoch seconds for the dedup queue, whose columns hold seconds.
 */

/** A driver whose operations finish before they return (better-sqlite3): each returns its result, not a promise. */
export type Synchronous<Driver> = {
  readonly [Operation in keyof Driver]: Driver[Operation] extends (...args: infer Args) => Promise<infer Result>
    ? (...args: Args) => Result
    : never;
};

/** One delivery as a claim returns it, in claim order. */
export interface ClaimedRow {
  readonly id: string;
  readonly body: Buffer;
  readonly received: number;
}

/** Dead-letter selection shared by list, requeue and purge: absent fields do not filter. Oldest first. */
export interface DeadSelection<Id, Time> {
  readonly queue: string;
  readonly ids?: readonly Id[];
  readonly jobName?: string;
  /** Moved strictly before this time. */
  readonly movedBefore?: Time;
  readonly limit?: number;
}

export interface DeadRow {
  readonly id: string;
  readonly queue: string;
  readonly jobName: string;
  readonly body: Buffer;
  readonly received: number;
  readonly reason: string;
  readonly error: string;
  readonly movedAtMs: number;
}

export interface StatsRow {
  readonly ready: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly exhausted: number;
  readonly dead: number;
  /** Created time of the oldest live message, ms; undefined when there is none. */
  readonly oldestCreatedMs: number | undefined;
}

// ---- plain queue (jobqueue, jobqueue_dead); times in epoch ms ----

export interface PlainSendParams {
  readonly queue: string;
  readonly id: string;
  readonly body: Buffer;
  readonly now: number;
  readonly visibleAt: number;
}

export interface PlainSendManyParams {
  readonly queue: string;
  readonly ids: readonly string[];
  readonly bodies: readonly Buffer[];
  readonly now: number;
  readonly visibleAt: number;
}

export interface PlainClaimParams {
  readonly queue: string;
  readonly now: number;
  /** The claim's window: the message is receivable again from this time. */
  readonly visibleAt: number;
  readonly maxDeliveries: number;
  readonly limit: number;
}

export interface PlainExtendParams {
  readonly queue: string;
  readonly id: string;
  readonly visibleAt: number;
}

/** Claims to give back: ids[i] was claimed for delivery deliveries[i]. */
export interface PlainReleaseParams {
  readonly queue: string;
  readonly ids: readonly string[];
  readonly deliveries: readonly number[];
  readonly now: number;
}

export interface PlainDeleteManyParams {
  readonly queue: string;
  readonly ids: readonly string[];
}

export interface PlainDeadLetterParams {
  readonly queue: string;
  readonly id: string;
  readonly jobName: string;
  readonly reason: string;
  readonly error: string;
  readonly now: number;
}

export interface PlainSweepParams {
  readonly queue: string;
  readonly now: number;
  readonly maxDeliveries: number;
  readonly reason: string;
  readonly error: string;
  /** The body is opaque to SQL; this reads the job name jobqueue_dead.job_name needs out of it. */
  readonly jobNameOf: (body: Buffer) => string;
}

export interface PlainRequeueParams extends DeadSelection<string, number> {
  readonly now: number;
}

export interface PlainStatsParams {
  readonly queue: string;
  readonly now: number;
  readonly maxDeliveries: number;
}

export interface PlainQueueSql {
  send(params: PlainSendParams): Promise<void>;
  sendMany(params: PlainSendManyParams): Promise<void>;
  claim(params: PlainClaimParams): Promise<ClaimedRow[]>;
  /** False when the message is not in the queue. */
  extend(params: PlainExtendParams): Promise<boolean>;
  deleteMany(params: PlainDeleteManyParams): Promise<void>;
  /** Receivable at `now`, received - 1, where received still equals the claim's delivery. Returns how many. */
  release(params: PlainReleaseParams): Promise<number>;
  /** False when the message is not in the queue (nothing moved). */
  deadLetter(params: PlainDeadLetterParams): Promise<boolean>;
  sweepExhausted(params: PlainSweepParams): Promise<number>;
  listDead(params: DeadSelection<string, number>): Promise<DeadRow[]>;
  requeueDead(params: PlainRequeueParams): Promise<number>;
  purgeDead(params: DeadSelection<string, number>): Promise<number>;
  stats(params: PlainStatsParams): Promise<StatsRow>;
}

// ---- dedup queue (queues, job_ns, jobs, job_done, job_dead); times in epoch seconds ----

export interface DedupRegisterParams {
  readonly queue: string;
  readonly dedupeEnabled: boolean;
}

export interface DedupNamespaceParams {
  readonly queue: string;
  readonly jobName: string;
}

export interface DedupMessage {
  readonly nsId: number;
  /** sha256 of the payload. */
  readonly key: Buffer;
  /** The whole envelope. */
  readonly body: Buffer;
}

export interface DedupSendParams {
  readonly queue: string;
  readonly message: DedupMessage;
  readonly nowS: number;
  readonly visibleAtS: number;
  /** Skip keys recorded in job_done. */
  readonly dedupeEnabled: boolean;
}

export interface DedupSendManyParams extends Omit<DedupSendParams, 'message'> {
  readonly messages: readonly DedupMessage[];
}

export interface DedupClaimParams {
  readonly queue: string;
  readonly nowS: number;
  readonly visibleAtS: number;
  readonly maxDeliveries: number;
  readonly limit: number;
}

export interface DedupExtendParams {
  readonly queue: string;
  readonly id: number;
  readonly visibleAtS: number;
}

export interface DedupDeleteManyParams {
  readonly queue: string;
  readonly ids: readonly number[];
  readonly nowS: number;
  /** Record the keys as done (job_done status 1). */
  readonly dedupeEnabled: boolean;
}

export interface DedupReleaseParams {
  readonly queue: string;
  readonly ids: readonly number[];
  readonly deliveries: readonly number[];
  readonly nowS: number;
}

export interface DedupDeadLetterParams {
  readonly queue: string;
  readonly id: number;
  readonly reason: string;
  readonly error: string;
  readonly nowS: number;
  /** Record the key as dead (job_done status 2). */
  readonly blockRepeats: boolean;
}

export interface DedupSweepParams {
  readonly queue: string;
  readonly nowS: number;
  readonly maxDeliveries: number;
  readonly reason: string;
  readonly error: string;
  readonly blockRepeats: boolean;
}

export interface DedupRequeueParams extends DeadSelection<number, number> {
  readonly nowS: number;
  /** Drop, instead of requeueing, a dead letter whose key is done (job_done status 1). */
  readonly dedupeEnabled: boolean;
}

export interface DedupStatsParams {
  readonly queue: string;
  readonly nowS: number;
  readonly maxDeliveries: number;
}

export interface DedupQueueSql {
  /** Piri's informational `queues` row, upserted when a queue is opened. */
  registerQueue(params: DedupRegisterParams): Promise<void>;
  /** The job_ns id of (queue, job name), created on first use. */
  namespace(params: DedupNamespaceParams): Promise<number>;
  /** The new job's id (decimal); undefined when the key is done or already live. */
  send(params: DedupSendParams): Promise<string | undefined>;
  /** send for each message, in order, in one transaction; a key repeated within the batch is queued once. */
  sendMany(params: DedupSendManyParams): Promise<(string | undefined)[]>;
  claim(params: DedupClaimParams): Promise<ClaimedRow[]>;
  extend(params: DedupExtendParams): Promise<boolean>;
  deleteMany(params: DedupDeleteManyParams): Promise<void>;
  /** Receivable at `nowS`, attempts - 1, where attempts still equals the claim's delivery. Returns how many. */
  release(params: DedupReleaseParams): Promise<number>;
  /** Missing ids are a no-op (Piri). */
  deadLetter(params: DedupDeadLetterParams): Promise<void>;
  sweepExhausted(params: DedupSweepParams): Promise<number>;
  listDead(params: DeadSelection<number, number>): Promise<DeadRow[]>;
  requeueDead(params: DedupRequeueParams): Promise<number>;
  purgeDead(params: DeadSelection<number, number>): Promise<number>;
  stats(params: DedupStatsParams): Promise<StatsRow>;
}
