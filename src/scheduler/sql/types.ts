/**
 * The scheduler store's SQL contract. The task engine, retention and (later) the PDP flows are written against
 * it and know no dialect; src/scheduler/sql/sqlite.ts and src/scheduler/sql/postgres.ts implement it, in the same
 * order, with the same names, so `diff sqlite.ts postgres.ts` shows every dialect difference.
 *
 * Everything runs inside `transaction()`: there is no statement outside a transaction. That is what lets the
 * SQLite implementation (ONE connection per file, shared by everything in the process) serialise all scheduler
 * statements behind one async mutex, so a statement from another async task never lands inside someone else's
 * open transaction.
 *
 * Operations are grouped by entity (`tx.tasks.claim`, `tx.messageSendLocks.acquire`, ...). To add an entity:
 * declare an `XxxOps` interface here, add it to `SchedulerTx`, implement it in both dialect files (the compiler
 * refuses until both are done). Every operation takes one params object; times are epoch milliseconds, passed
 * in by the caller from its Clock (SQL never asks the database for "now").
 */

/** What a driver error means to the caller (spec §9, with Piri's asymmetry fixed). */
export type SchedulerErrorKind =
  /** Transient: the transaction can be retried as a whole (SQLITE_BUSY*, SQLITE_LOCKED*; 40001, 40P01, 55P03). */
  | 'lock'
  /** A UNIQUE or PRIMARY KEY violation, and nothing else (SQLITE_CONSTRAINT_UNIQUE/_PRIMARYKEY; 23505). */
  | 'unique'
  | 'other';

export interface SchedulerSql {
  /**
   * Runs `fn` in one transaction: committed when the returned promise resolves, rolled back when it rejects (the
   * rejection is passed on). SQLite: BEGIN IMMEDIATE under the connection's mutex. Postgres: `sql.begin`.
   * `tx` is only valid until `fn` settles; calling `transaction` again from inside `fn` is refused (it would
   * deadlock on SQLite): use the `tx` you were given. Keep `fn` short and free of network waits: on SQLite every
   * other scheduler transaction of the process queues behind it.
   */
  transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T>;
  /** Classifies an error thrown by an operation or by `transaction` (drizzle/other wrappers are unwrapped via `cause`). */
  classifyError(error: unknown): SchedulerErrorKind;
}

/** The operations available inside a transaction, grouped by entity. */
export interface SchedulerTx {
  readonly tasks: TaskOps;
  readonly taskHistory: TaskHistoryOps;
  readonly sessions: SessionOps;
  readonly messageSends: MessageSendOps;
  readonly messageSendLocks: MessageSendLockOps;
  readonly messageWaits: MessageWaitOps;
}

// ---------------------------------------------------------------------------------------------------------------
// task

/** Where a claim scan stopped: the (update_time, id) of the last row seen, in the database's own representation. */
export interface TaskCursor {
  readonly updateTime: string;
  readonly id: number;
}

export interface ClaimCandidate {
  readonly id: number;
  readonly retries: number;
  readonly updateTimeMs: number;
  readonly cursor: TaskCursor;
}

/** A task just claimed by a session. */
export interface OwnedTask {
  readonly id: number;
  readonly name: string;
  readonly retries: number;
  readonly postedMs: number;
}

export interface TaskOps {
  /** INSERT with retries 0, session_id NULL, posted_time = update_time = now. Returns the new id (never reused). */
  insert(p: { name: string; addedBy: string; nowMs: number }): Promise<number>;
  /**
   * Unowned tasks of one type, oldest first: `ORDER BY update_time, id`, after `after` when given. Postgres
   * locks them `FOR UPDATE SKIP LOCKED`, so a row another engine is claiming right now is skipped.
   */
  claimable(p: { name: string; limit: number; after?: TaskCursor }): Promise<ClaimCandidate[]>;
  /**
   * The conditional claim: `SET session_id = :me, update_time = :now WHERE id = :id AND session_id IS NULL`.
   * Returns the rows actually taken (a row another session took in between is not).
   */
  claim(p: { ids: readonly number[]; sessionId: string; nowMs: number }): Promise<OwnedTask[]>;
  /*
   * Finishing: each of these changes the row only while `sessionId` owns it (one conditional statement, so no
   * read-then-write race) and returns whether it did; false means the session lost the task.
   */
  /** DELETE (fires the FK cascades). */
  deleteOwned(p: { id: number; sessionId: string }): Promise<boolean>;
  /** DELETE when retries >= maxFailures: the task has used up its attempts. */
  deleteOwnedIfExhausted(p: { id: number; sessionId: string; maxFailures: number }): Promise<boolean>;
  /** Release without counting a retry (deferral): session_id NULL, update_time now; retries unchanged. */
  release(p: { id: number; sessionId: string; nowMs: number }): Promise<boolean>;
  /** Release after a failed attempt: session_id NULL, retries + 1, update_time now. */
  releaseForRetry(p: { id: number; sessionId: string; nowMs: number }): Promise<boolean>;
  /** Releases every task `sessionId` owns (update_time unchanged). Returns how many. */
  releaseSession(p: { sessionId: string }): Promise<number>;
  /** Releases every task owned by a session that has no task_engine_sessions row (dead or from Piri). Returns how many. */
  releaseOrphaned(): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// task_history

export interface TaskHistoryRow {
  readonly taskId: number;
  readonly name: string;
  readonly postedMs: number;
  readonly workStartMs: number;
  readonly workEndMs: number;
  readonly result: boolean;
  readonly err: string;
  readonly completedBySessionId: string;
}

export interface TaskHistoryOps {
  insert(p: TaskHistoryRow): Promise<void>;
  /** Deletes up to `limit` rows whose work_end < cutoff, oldest ids first. Returns how many. */
  pruneBefore(p: { cutoffMs: number; limit: number }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// task_engine_sessions (piri-db's own table)

export interface SessionOps {
  /** A new session row: started_at = heartbeat_at = now. */
  insert(p: { sessionId: string; nowMs: number }): Promise<void>;
  /** heartbeat_at = now. False when the row is gone (another engine declared this session dead). */
  beat(p: { sessionId: string; nowMs: number }): Promise<boolean>;
  /** Sessions whose heartbeat_at < cutoff, except `exceptSessionId` (Postgres: FOR UPDATE SKIP LOCKED). */
  lapsed(p: { cutoffMs: number; exceptSessionId: string }): Promise<{ sessionId: string; heartbeatMs: number }[]>;
  /** Deletes these session rows. Returns how many. */
  delete(p: { sessionIds: readonly string[] }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// message_sends_eth and message_send_eth_locks (spec §8.1)

export interface MessageSendInsert {
  /** = task.id of the SendTransaction task that will send it. */
  readonly taskId: number;
  readonly fromAddress: string;
  readonly toAddress: string;
  readonly sendReason: string;
  readonly unsignedTx: Uint8Array;
  readonly unsignedHash: string;
}

export interface MessageSendOps {
  /** The row a SendTransaction task sends; nonce, signed_* and send_* stay NULL. */
  insert(p: MessageSendInsert): Promise<void>;
  /** MAX(nonce) over the sender's successful sends, undefined when there is none. */
  maxSentNonce(p: { fromAddress: string }): Promise<number | undefined>;
  /** Stores nonce and signed transaction; false when the row does not exist. */
  assignNonce(p: { taskId: number; nonce: number; signedTx: Uint8Array; signedHash: string }): Promise<boolean>;
  /** send_success, send_error ('' on success: Piri's waiter treats NULL as an error) and send_time. */
  recordSend(p: { taskId: number; success: boolean; error: string; nowMs: number }): Promise<boolean>;
  /**
   * Retention: deletes up to `limit` finished sends (send_success IS NOT NULL, send_time < cutoff) whose task row
   * is gone, except, per sender, the successful send with the highest nonce (the next nonce is derived from it).
   */
  pruneFinished(p: { cutoffMs: number; limit: number }): Promise<number>;
}

export interface MessageSendLockOps {
  /**
   * Piri's upsert: insert, or take over only if `taskId` already holds it. True iff exactly one row was affected,
   * i.e. the lock is now held by `taskId`.
   */
  acquire(p: { fromAddress: string; taskId: number; nowMs: number }): Promise<boolean>;
  /** Deletes the lock if `taskId` holds it. */
  release(p: { fromAddress: string; taskId: number }): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

export interface MessageWaitOps {
  /**
   * Retention: deletes up to `limit` confirmed waits that nothing refers to. message_waits_eth rows are referenced
   * ON DELETE CASCADE by pdp_proofset_creates, pdp_proofset_roots, pdp_proofset_root_adds and
   * pdp_provider_registrations, so deleting a referenced wait would delete confirmed roots. Also kept: waits named
   * by pdp_proof_sets.challenge_request_msg_hash (Prove scheduling joins on it), rail_settlement_waits and
   * withdrawal_waits (status reads), and waits whose send (message_sends_eth.signed_hash) is newer than the cutoff
   * or not yet finished. The table has no time column; a wait whose send row is already gone is old.
   */
  pruneConfirmed(p: { cutoffMs: number; limit: number }): Promise<number>;
}
