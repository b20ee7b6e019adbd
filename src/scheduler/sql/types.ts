/**
 * The scheduler store's SQL contract. The task engine, retention and the PDP flows (src/scheduler/pdp/) are written
 * against it and know no dialect. It is implemented once, in src/scheduler/sql/entities/ (one module per entity or
 * flow), over the dialect layer in src/scheduler/sql/dialect/, which holds all that differs between the databases.
 * Row types are the drizzle schema's (`RowOf`: `$inferSelect` with times as epoch milliseconds).
 *
 * Everything runs inside `transaction()`: there is no statement outside a transaction. That is what lets the
 * SQLite implementation (ONE connection per file, shared by everything in the process) serialise all scheduler
 * statements behind one async mutex, so a statement from another async task never lands inside someone else's
 * open transaction.
 *
 * Operations are grouped by entity (`tx.tasks.claim`, `tx.messageSendLocks.acquire`, ...). To add an entity:
 * declare an `XxxOps` interface here, add it to `SchedulerTx`, and implement it in an entity module. Every operation takes one params object; times are epoch milliseconds, passed
 * in by the caller from its Clock (SQL never asks the database for "now").
 */
import type {
  messageSendsEth,
  messageWaitsEth,
  parkedPieceRefs,
  parkedPieces,
  pdpPieceMhToCommp,
  pdpPieceUploads,
  pdpPiecerefs,
  pdpProofSets,
  pdpProofsetCreates,
  pdpProofsetRootAdds,
  pdpProofsetRoots,
  pdpProviderRegistrations,
  railSettlementWaits,
  withdrawalWaits,
} from '../../../schema/postgres/scheduler.ts';
import type { RowOf } from './statement.ts';

export type { RowOf } from './statement.ts';

/** What a driver error means to the caller (data-model §9, with Piri's asymmetry fixed). */
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

/**
 * The operations available inside a scheduler transaction, grouped by entity; an AddTaskExtra writes through it. Its
 * operation sets are the SQL layer's and may change between versions, so prefer the PDP flows where they fit.
 */
export interface SchedulerTx {
  readonly tasks: TaskOps;
  readonly taskHistory: TaskHistoryOps;
  readonly sessions: SessionOps;
  readonly messageSends: MessageSendOps;
  readonly messageSendLocks: MessageSendLockOps;
  readonly messageWaits: MessageWaitOps;
  // PDP state (data-model §8; the dialect-free flows are in src/scheduler/pdp/)
  readonly proofSetCreates: ProofSetCreateOps;
  readonly proofSets: ProofSetOps;
  readonly proveTasks: ProveTaskOps;
  readonly pieceCommps: PieceCommpOps;
  readonly parkedPieces: ParkedPieceOps;
  readonly parkedPieceRefs: ParkedPieceRefOps;
  readonly pieceRefs: PieceRefOps;
  readonly pieceUploads: PieceUploadOps;
  readonly roots: RootOps;
  readonly rootAdds: RootAddOps;
  readonly providerRegistrations: ProviderRegistrationOps;
  readonly railSettlementWaits: RailSettlementWaitOps;
  readonly withdrawalWaits: WithdrawalWaitOps;
}

// ---------------------------------------------------------------------------------------------------------------
// task

/** Where a claim scan stopped: the (update_time, id) of the last row seen, in the database's own representation. */
export interface TaskCursor {
  readonly updateTime: string;
  readonly id: number;
}

export interface ClaimCandidate extends TaskCursor {
  readonly retries: number;
  readonly updateTimeMs: number;
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
// message_sends_eth and message_send_eth_locks (data-model §8.1)

export interface MessageSendInsert {
  /** = task.id of the SendTransaction task that will send it. */
  readonly taskId: number;
  readonly fromAddress: string;
  readonly toAddress: string;
  readonly sendReason: string;
  readonly unsignedTx: Uint8Array;
  readonly unsignedHash: string;
}

/** A message_sends_eth row as the waiting caller reads it (SenderETH.Send's poll). */
export type MessageSendRow = RowOf<typeof messageSendsEth> & {
  /** Derived, not a column: whether the SendTransaction task row (task.id = send_task_id) still exists. */
  readonly taskPresent: boolean;
};

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
  /** The send of one SendTransaction task, with whether its task row still exists. */
  get(p: { taskId: number }): Promise<MessageSendRow | undefined>;
}

export interface MessageSendLockOps {
  /**
   * Piri's upsert: insert, or take over only if `taskId` already holds it. True iff exactly one row was affected,
   * i.e. the lock is now held by `taskId`.
   */
  acquire(p: { fromAddress: string; taskId: number; nowMs: number }): Promise<boolean>;
  /** Deletes the lock if `taskId` holds it. */
  release(p: { fromAddress: string; taskId: number }): Promise<boolean>;
  /** Who holds the sender's lock, if anyone. */
  holder(p: { fromAddress: string }): Promise<{ taskId: number; claimedAtMs: number } | undefined>;
  /**
   * piri-db's stale-lock rule (Piri has none): hands the lock to `taskId` when its holder is another task whose
   * task row no longer exists (finished or dropped without releasing). One conditional write; returns the
   * previous holder's task id when taken over, undefined otherwise (free, held by `taskId`, or held by a live task).
   */
  takeOverStale(p: { fromAddress: string; taskId: number; nowMs: number }): Promise<number | undefined>;
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

/** A message_waits_eth row: a watched transaction and, once confirmed, its block, receipt and success. */
export type MessageWaitRow = RowOf<typeof messageWaitsEth>;

/** What the message watcher writes when a watched transaction has enough confirmations (data-model §8.5). */
export interface WaitConfirmation {
  readonly signedTxHash: string;
  readonly blockNumber: number;
  readonly txHash: string;
  /** Stored as JSON (JSON.stringify). */
  readonly txData: unknown;
  /** Stored as JSON (JSON.stringify). */
  readonly receipt: unknown;
  /** receipt.status == 1 */
  readonly success: boolean;
}

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
  /**
   * INSERT (signed_tx_hash, tx_status 'pending', confirmed_tx_hash ''), as Piri. With `ignoreExisting` it is
   * ON CONFLICT DO NOTHING (the proving-period flow); without, a duplicate hash is a PK violation. Returns whether
   * a row was inserted.
   */
  insertPending(p: { signedTxHash: string; ignoreExisting?: boolean }): Promise<boolean>;
  /** The watcher's claim: waiter_machine_id = 1 WHERE waiter_machine_id IS NULL AND tx_status = 'pending'. Returns how many. */
  markWatched(): Promise<number>;
  /** Hashes with waiter_machine_id = 1 AND tx_status = 'pending', up to `limit`, in hash order. */
  watched(p: { limit: number }): Promise<string[]>;
  /**
   * Records the confirmation: confirmed_* , tx_status 'confirmed', tx_receipt, tx_success; waiter_machine_id kept.
   * Only while the wait is pending (so the pending -> confirmed transition, which fires the status triggers,
   * happens once). Returns whether the row changed.
   */
  confirm(p: WaitConfirmation): Promise<boolean>;
  /** The admin repair's write (data-model §8.4 step 8): tx_status 'confirmed', tx_success true WHERE pending. Fires the triggers. */
  confirmSuccessful(p: { signedTxHash: string }): Promise<boolean>;
  get(p: { signedTxHash: string }): Promise<MessageWaitRow | undefined>;
  /** DELETE (never done by Piri): cascades to creates, roots, root_adds and provider registrations of the hash. */
  delete(p: { signedTxHash: string }): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_creates, pdp_proof_sets, pdp_prove_tasks (data-model §8.2, §8.6)

/**
 * A pdp_proofset_creates row: a proof set creation message and whether it confirmed (ok) and was turned into a proof
 * set. Times are epoch ms.
 */
export type ProofSetCreateRow = RowOf<typeof pdpProofsetCreates>;

export interface ProofSetCreateOps {
  /** ok NULL, proofset_created false, created_at now. */
  insert(p: { createMessageHash: string; service: string; nowMs: number }): Promise<void>;
  get(p: { createMessageHash: string }): Promise<ProofSetCreateRow | undefined>;
  /** ok = true AND proofset_created = false, oldest first, with the create tx's receipt (from message_waits_eth). */
  ready(p: { limit: number }): Promise<(ProofSetCreateRow & { readonly txReceipt: unknown })[]>;
  /** proofset_created = true WHERE the hash AND proofset_created = false. */
  markCreated(p: { createMessageHash: string }): Promise<boolean>;
}

/**
 * A pdp_proof_sets row: a proof set by its on-chain id, with its proving-period state (epochs, the pending challenge
 * request).
 */
export type ProofSetRow = RowOf<typeof pdpProofSets>;

export interface ProofSetOps {
  /** INSERT with the on-chain id, init_ready false, ON CONFLICT (id) DO NOTHING. Returns whether inserted. */
  insert(p: {
    id: number;
    createMessageHash: string;
    service: string;
    provingPeriod: number | null;
    challengeWindow: number | null;
  }): Promise<boolean>;
  get(p: { id: number }): Promise<ProofSetRow | undefined>;
  getByCreateMessageHash(p: { createMessageHash: string }): Promise<ProofSetRow | undefined>;
  /** By service, id order. */
  list(p: { service: string }): Promise<ProofSetRow[]>;
  /** DELETE (never done by Piri): cascades to prove tasks, roots and root_adds. */
  delete(p: { id: number }): Promise<boolean>;
  /** init_ready = true WHERE id AND prev_challenge_request_epoch, challenge_request_msg_hash, prove_at_epoch are NULL. */
  markInitReady(p: { id: number }): Promise<boolean>;
  /** Ids WHERE challenge_request_task_id IS NULL AND init_ready AND prove_at_epoch IS NULL. */
  initCandidates(): Promise<number[]>;
  /** Ids WHERE challenge_request_task_id IS NULL AND prove_at_epoch + challenge_window <= height. */
  nextPeriodCandidates(p: { height: number }): Promise<number[]>;
  /** challenge_request_task_id = task WHERE id AND challenge_request_task_id IS NULL. */
  claimChallengeTask(p: { id: number; taskId: number }): Promise<boolean>;
  /** The proof set whose challenge_request_task_id = task (and, with requireProveAt, prove_at_epoch IS NOT NULL). */
  byChallengeTask(p: { taskId: number; requireProveAt: boolean }): Promise<number | undefined>;
  /** challenge_request_msg_hash, prev_challenge_request_epoch, prove_at_epoch WHERE id. */
  recordChallengeRequest(p: { id: number; msgHash: string; prevEpoch: number; proveAtEpoch: number }): Promise<boolean>;
  /**
   * Ids of proof sets whose challenge request confirmed successfully and whose prove_at_epoch < height:
   * JOIN message_waits_eth ON signed_tx_hash = challenge_request_msg_hash, tx_success = true. Id order, up to limit.
   */
  proveCandidates(p: { height: number; limit: number }): Promise<number[]>;
  /** challenge_request_msg_hash = NULL WHERE id AND challenge_request_msg_hash IS NOT NULL. */
  clearChallengeMsg(p: { id: number }): Promise<boolean>;
}

export interface ProveTaskOps {
  /** ON CONFLICT DO NOTHING; returns whether inserted. */
  insert(p: { proofSetId: number; taskId: number }): Promise<boolean>;
  /** The proof sets a PDPProve task proves. */
  byTask(p: { taskId: number }): Promise<number[]>;
  countForProofSet(p: { proofSetId: number }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_piece_mh_to_commp, parked_pieces, parked_piece_refs, pdp_piecerefs, pdp_piece_uploads (data-model §8.3)

/** A pdp_piece_mh_to_commp entry: which piece CID a blob (by multihash) belongs to, and its size. */
export type CommpEntry = RowOf<typeof pdpPieceMhToCommp>;

export interface PieceCommpOps {
  /** By the multihash BYTES (Piri's ResolveToPiece compared them with base58 text and never matched). */
  get(p: { mhash: Uint8Array }): Promise<CommpEntry | undefined>;
  /** By piece CID text; the entry with the lowest mhash when several blobs map to one piece. */
  byCommp(p: { commp: string }): Promise<CommpEntry | undefined>;
  /** INSERT ... ON CONFLICT DO NOTHING; returns whether inserted. */
  put(p: { mhash: Uint8Array; size: number; commp: string }): Promise<boolean>;
}

/**
 * A parked_pieces row: a piece held locally, by piece CID and sizes, and whether its data is complete. Times are epoch
 * ms.
 */
export type ParkedPieceRow = RowOf<typeof parkedPieces>;

export interface ParkedPieceOps {
  /**
   * Serialises parkers of one piece CID until the transaction ends. Postgres: pg_advisory_xact_lock on
   * (a constant, hashtext(piece_cid)). SQLite: nothing to do, transactions are already serial.
   */
  lockPieceCid(p: { pieceCid: string }): Promise<void>;
  /**
   * The oldest row that the unique index would consider the same piece if NULLs were equal:
   * (piece_cid, piece_padded_size, long_term) with cleanup_task_id IS NULL.
   */
  findReusable(p: { pieceCid: string; paddedSize: number; longTerm: boolean }): Promise<ParkedPieceRow | undefined>;
  insert(p: { pieceCid: string; paddedSize: number; rawSize: number; complete: boolean; longTerm: boolean; nowMs: number }): Promise<number>;
  /** complete = true; returns whether the row changed. */
  markComplete(p: { id: number }): Promise<boolean>;
  get(p: { id: number }): Promise<ParkedPieceRow | undefined>;
  /** DELETE (never done by Piri): cascades to its parked_piece_refs and from there to pdp_piecerefs. */
  delete(p: { id: number }): Promise<boolean>;
}

/** A parked_piece_refs row: one use of a parked piece, with where its data comes from. */
export type ParkedPieceRefRow = RowOf<typeof parkedPieceRefs>;

export interface ParkedPieceRefOps {
  /** The oldest ref of this piece with this data_url and long_term. */
  find(p: { pieceId: number; dataUrl: string; longTerm: boolean }): Promise<ParkedPieceRefRow | undefined>;
  /** data_headers stored as JSON. */
  insert(p: { pieceId: number; dataUrl: string; dataHeaders: unknown; longTerm: boolean }): Promise<number>;
  get(p: { refId: number }): Promise<ParkedPieceRefRow | undefined>;
  /** DELETE: cascades to pdp_piecerefs (then SET NULL on roots/root_adds) and SET NULL on pdp_piece_uploads.piece_ref. */
  delete(p: { refId: number }): Promise<boolean>;
  /**
   * Root cleanup (data-model §8.6 Prove step 4, fixed): deletes the parked_piece_refs row that the pdp_piecerefs row
   * `pdpPieceRefId` points to (its piece_ref), but only while nothing else still uses it: no pdp_piecerefs row
   * pointing to that parked ref has proofset_refcount > 0 or a pending root_add. Returns the deleted ref ids.
   */
  deleteReleasedByPieceRef(p: { pdpPieceRefId: number }): Promise<number[]>;
}

/**
 * A pdp_piecerefs row: a service's reference to a parked piece, counted by the proof sets that hold it. Times are epoch
 * ms.
 */
export type PieceRefRow = RowOf<typeof pdpPiecerefs>;

/** A row of the subroot lookup (data-model §8.4 step 3). */
export interface SubrootPiece {
  readonly pieceCid: string;
  readonly pdpPieceRefId: number;
  readonly pieceRef: number;
  readonly paddedSize: number;
  readonly rawSize: number;
}

export interface PieceRefOps {
  /** The oldest pdp_piecerefs row for (service, piece_cid, piece_ref). */
  find(p: { service: string; pieceCid: string; pieceRef: number }): Promise<PieceRefRow | undefined>;
  insert(p: { service: string; pieceCid: string; pieceRef: number; nowMs: number }): Promise<number>;
  get(p: { id: number }): Promise<PieceRefRow | undefined>;
  /**
   * pdp_piecerefs JOIN parked_piece_refs ON ref_id = piece_ref JOIN parked_pieces ON id = piece_id, for the
   * service and piece CIDs; ordered by piece CID, then pdp_piecerefs id.
   */
  subrootPieces(p: { service: string; pieceCids: readonly string[] }): Promise<SubrootPiece[]>;
}

/**
 * A pdp_piece_uploads row: an upload slot, with the hash and size the data must match and whom to notify. Times are
 * epoch ms.
 */
export type PieceUploadRow = RowOf<typeof pdpPieceUploads>;

export interface PieceUploadOps {
  insert(p: {
    id: string;
    service: string;
    checkHashCodec: string;
    checkHash: Uint8Array;
    checkSize: number;
    notifyUrl: string;
    nowMs: number;
  }): Promise<void>;
  get(p: { id: string }): Promise<PieceUploadRow | undefined>;
  delete(p: { id: string }): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_roots, pdp_proofset_root_adds (data-model §8.4, §8.6)

/** A pdp_proofset_roots row: one subroot of a root confirmed in a proof set. */
export type RootRow = RowOf<typeof pdpProofsetRoots>;

export type RootAddRow = RowOf<typeof pdpProofsetRootAdds>;

/** A root (or root_add) and the add message that carried it. */
export interface RootMessage {
  readonly root: string;
  readonly addMessageHash: string | null;
}

export interface RootOps {
  /** SELECT DISTINCT root, add_message_hash WHERE proofset_id AND root IN (roots), ordered by root, hash. */
  existing(p: { proofSetId: number; roots: readonly string[] }): Promise<RootMessage[]>;
  /** INSERT ... ON CONFLICT DO NOTHING (subroot_offset_val 0, as Piri). Fires the refcount trigger. Returns whether inserted. */
  insert(p: Omit<RootRow, 'subrootOffsetVal'>): Promise<boolean>;
  /** Rows of a proof set ORDER BY root_id, subroot_offset. */
  list(p: { proofSetId: number }): Promise<RootRow[]>;
  /** Rows of one root ORDER BY subroot_offset (the prover's challenge read, and root cleanup). */
  byRootId(p: { proofSetId: number; rootId: number }): Promise<RootRow[]>;
  /** DELETE WHERE proofset_id AND root_id (the refcount trigger fires per row). Returns how many. */
  deleteRoot(p: { proofSetId: number; rootId: number }): Promise<number>;
}

export interface RootAddOps {
  /**
   * SELECT DISTINCT root, add_message_hash WHERE proofset_id AND root IN (roots), ordered by root, hash; rows
   * whose add tx failed (add_message_ok = false) are not pending and are left out (Piri counted them).
   */
  pending(p: { proofSetId: number; roots: readonly string[] }): Promise<RootMessage[]>;
  /** add_message_ok NULL. */
  insert(p: Omit<RootAddRow, 'addMessageOk'>): Promise<void>;
  /** DISTINCT (proofset_id, add_message_hash) WHERE add_message_ok = true, with the add tx's receipt. */
  ready(p: { limit: number }): Promise<{ proofSetId: number; addMessageHash: string; txReceipt: unknown }[]>;
  /**
   * Rows of one add message with add_message_ok = true, ORDER BY add_message_index, subroot_offset. Postgres locks
   * them (FOR UPDATE), so two watchers cannot move the same rows twice.
   */
  confirmedForMessage(p: { proofSetId: number; addMessageHash: string }): Promise<RootAddRow[]>;
  /** Rows of one root ORDER BY add_message_index, subroot_offset (admin repair). */
  forRoot(p: { proofSetId: number; root: string }): Promise<RootAddRow[]>;
  /** DELETE WHERE proofset_id AND add_message_hash. Returns how many. */
  deleteForMessage(p: { proofSetId: number; addMessageHash: string }): Promise<number>;
  /** DELETE WHERE proofset_id AND root. Returns how many. */
  deleteForRoot(p: { proofSetId: number; root: string }): Promise<number>;
  /** DELETE WHERE add_message_ok = false, of one proof set and/or of these roots when given. Returns how many. */
  deleteFailed(p: { proofSetId?: number; roots?: readonly string[] }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_provider_registrations, rail_settlement_waits, withdrawal_waits (data-model §8.7)

/**
 * A pdp_provider_registrations row: a provider registration message, whether it confirmed (ok) and the provider id once
 * registered.
 */
export type ProviderRegistrationRow = RowOf<typeof pdpProviderRegistrations>;

export interface ProviderRegistrationOps {
  /**
   * RegisterProvider's conflict check: the oldest registration of the service with provider_registered = false
   * that has not failed (ok IS NULL or true). Piri also counted failed ones, which never happened there because
   * it never set ok; with ok set, a failed registration must not block a new one forever.
   */
  inProgress(p: { service: string }): Promise<ProviderRegistrationRow | undefined>;
  /** ok NULL, provider_registered false, created_at now. */
  insert(p: { registerMessageHash: string; service: string; nowMs: number }): Promise<void>;
  /**
   * The status triggers' CASE, for registrations (Piri has no trigger and never sets ok): after a wait went
   * pending -> confirmed, ok = false when the tx failed, true when it succeeded, unchanged when tx_success is
   * NULL; only rows with provider_registered = false. Returns how many rows changed.
   */
  applyConfirmation(p: { registerMessageHash: string; success: boolean | null }): Promise<number>;
  /** ok = true AND provider_registered = false, oldest first. */
  ready(p: { limit: number }): Promise<ProviderRegistrationRow[]>;
  /** provider_registered = true, provider_id WHERE the hash AND provider_registered = false. */
  markRegistered(p: { registerMessageHash: string; providerId: number }): Promise<boolean>;
  get(p: { registerMessageHash: string }): Promise<ProviderRegistrationRow | undefined>;
}

/** A rail_settlement_waits row: the settlement transaction last sent for a payment rail. */
export type RailSettlementWaitRow = RowOf<typeof railSettlementWaits>;

export interface RailSettlementWaitOps {
  get(p: { railId: string }): Promise<RailSettlementWaitRow | undefined>;
  /** INSERT, or replace the rail's row (signed_tx_hash, created_at). */
  upsert(p: { railId: string; signedTxHash: string; nowMs: number }): Promise<void>;
  delete(p: { railId: string }): Promise<boolean>;
}

/** A withdrawal_waits row: a withdrawal transaction sent. */
export type WithdrawalWaitRow = RowOf<typeof withdrawalWaits>;

export interface WithdrawalWaitOps {
  /** The newest row: ORDER BY created_at DESC, id DESC (NULL created_at last). */
  latest(): Promise<WithdrawalWaitRow | undefined>;
  insert(p: { signedTxHash: string; nowMs: number }): Promise<number>;
  delete(p: { id: number }): Promise<boolean>;
}
