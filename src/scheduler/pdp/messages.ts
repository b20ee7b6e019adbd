/**
 * Outgoing transactions and the transactions being watched (data-model §8.1 and §8.5), dialect-free.
 *
 * Sending (SenderETH.Send + the SendTransaction task):
 *   enqueueSend      AddTask(SendTransaction) whose extra inserts message_sends_eth with send_task_id = task id
 *                    (nonce, signed_*, send_* NULL), in the task's transaction.
 *   acquireNonceLock Piri's upsert "take it, or keep it if I hold it" (acquired iff one row changed), plus
 *                    piri-db's stale-lock rule: a lock whose holder's task row no longer exists is taken over.
 *   assignNonce      nonce = max(pending nonce from the chain, highest nonce of the sender's successful sends + 1),
 *                    signed by the caller's signer, stored (exactly one row) - or the stored nonce and signed tx
 *                    when the send already has one (re-sends are idempotent).
 *   recordSend       send_success, send_error ('' on success, never NULL: Piri's waiter treats NULL as an error),
 *                    send_time.
 *   releaseNonceLock DELETE the lock if the task holds it.
 *   getSend/sendStatus  the waiting caller's read of its send, by task id.
 *
 * Watching (the message watcher):
 *   insertPendingWait  message_waits_eth (tx_status 'pending', confirmed_tx_hash '').
 *   claimPendingWaits  waiter_machine_id = 1 on unclaimed pending waits, then the claimed pending hashes.
 *   confirmWait        the confirmation columns, tx_status 'confirmed'. The status triggers set
 *                      pdp_proofset_creates.ok and pdp_proofset_root_adds.add_message_ok; in the SAME transaction
 *                      this also sets pdp_provider_registrations.ok with the triggers' CASE (Piri never sets it).
 *   getWait/confirmationOf  WaitForConfirmation's read.
 */
import type { AddTaskResult, TaskEngine } from '../task-engine.ts';
import type { SchedulerSource } from '../sql/index.ts';
import type { MessageSendRow, MessageWaitRow, WaitConfirmation } from '../sql/types.ts';
import { PdpContext, type PdpOptions, SEND_TRANSACTION_TASK } from './context.ts';
import { PdpError } from './errors.ts';

/**
 * A message to send on chain (data-model §8.1): PdpMessages.enqueueSend stores it and adds the SendTransaction task that
 * signs and sends it.
 */
export interface SendRequest {
  /** 0x checksummed hex. */
  readonly fromAddress: string;
  readonly toAddress: string;
  /** e.g. pdp-prove, pdp-proving-period, pdp-addroots, pdp-mkproofset, register_provider, settle_rail_<id>, withdraw. */
  readonly sendReason: string;
  readonly unsignedTx: Uint8Array;
  readonly unsignedHash: string;
}

/** What the waiting caller of a send learns from its row (SenderETH.Send's poll, data-model §8.1 step 2). */
export type SendStatus =
  /** No message_sends_eth row for the task id. */
  | { readonly state: 'missing' }
  /** Not attempted yet (send_success NULL) and the task still exists: keep waiting. */
  | { readonly state: 'queued' }
  /**
   * Not attempted and the SendTransaction task row is gone (dropped after its failures): it will never be sent.
   * Piri's caller polls such a row forever (data-model §10 item 18); piri-db reports it.
   */
  | { readonly state: 'abandoned' }
  | { readonly state: 'sent'; readonly signedHash: string }
  | { readonly state: 'failed'; readonly error: string }
  /** Attempted but signed_hash or send_error is NULL: Piri's "unexpected null values". */
  | { readonly state: 'invalid'; readonly reason: string };

/**
 * Whether PdpMessages.acquireNonceLock got the sender's nonce lock, and from which dead task it took it over, if any.
 */
export interface NonceLockResult {
  readonly acquired: boolean;
  /** Set when the lock was taken over from a holder whose task row no longer exists. */
  readonly takenOverFrom?: number;
}

/** Signs the send's transaction with the nonce chosen. Runs inside the transaction: no network I/O. */
export type Signer = (nonce: number) => { signedTx: Uint8Array; signedHash: string } | Promise<{ signedTx: Uint8Array; signedHash: string }>;

/** The nonce and signed transaction PdpMessages.assignNonce stored for a send (or found already stored). */
export interface SignedSend {
  readonly nonce: number;
  readonly signedTx: Uint8Array;
  readonly signedHash: string;
  /** True when the send already had a nonce and signed tx (a re-run of the task): nothing was written. */
  readonly reused: boolean;
}

/** What a wait says about its transaction (WaitForConfirmation, data-model §8.4 step 5). */
export type Confirmation =
  | { readonly state: 'missing' }
  | { readonly state: 'pending' }
  | { readonly state: 'success'; readonly wait: MessageWaitRow }
  /** Confirmed with tx_success false (or tx_status 'failed'): a permanent error. */
  | { readonly state: 'failed'; readonly wait: MessageWaitRow }
  /** Confirmed with tx_success NULL: an error in Piri. */
  | { readonly state: 'invalid'; readonly wait: MessageWaitRow };

/** Piri's watcher reads at most this many pending waits per head. */
export const WATCH_LIMIT = 10_000;

/**
 * Sending messages and watching their confirmations (data-model §8.1, §8.5): the send rows, the per-sender nonce lock and the
 * message waits. Each method is one transaction, retried on lock errors.
 */
export class PdpMessages {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Sending

  /**
   * AddTask(SendTransaction) with the message_sends_eth insert in the same transaction. The engine must have the
   * SendTransaction type registered. Resolves with the engine's result; `taskId` is the send's id.
   */
  enqueueSend(engine: TaskEngine, send: SendRequest): Promise<AddTaskResult> {
    return engine.addTask(SEND_TRANSACTION_TASK, async (taskId, tx) => {
      await tx.messageSends.insert({ taskId, ...send });
      return true;
    });
  }

  getSend(taskId: number): Promise<MessageSendRow | undefined> {
    return this.#ctx.run((tx) => tx.messageSends.get({ taskId }));
  }

  /** One read of the send, classified as Piri's waiting caller does (plus 'abandoned'). */
  async sendStatus(taskId: number): Promise<SendStatus> {
    return sendStatusOf(await this.getSend(taskId));
  }

  /**
   * The per-sender nonce lock for `taskId`: acquired when free or already held by `taskId` (Piri's upsert), or
   * taken over when held by a task whose row no longer exists (piri-db's stale-lock rule; Piri waits forever).
   * Not acquired: another live task holds it; try again later (Piri sleeps 100 ms).
   */
  acquireNonceLock(p: { fromAddress: string; taskId: number }): Promise<NonceLockResult> {
    return this.#ctx.run(async (tx, nowMs) => {
      if (await tx.messageSendLocks.acquire({ ...p, nowMs })) return { acquired: true };
      const previous = await tx.messageSendLocks.takeOverStale({ ...p, nowMs });
      return previous === undefined ? { acquired: false } : { acquired: true, takenOverFrom: previous };
    });
  }

  /** Deletes the lock if `taskId` holds it; false when it did not. */
  releaseNonceLock(p: { fromAddress: string; taskId: number }): Promise<boolean> {
    return this.#ctx.run((tx) => tx.messageSendLocks.release(p));
  }

  nonceLockHolder(fromAddress: string): Promise<{ taskId: number; claimedAtMs: number } | undefined> {
    return this.#ctx.run((tx) => tx.messageSendLocks.holder({ fromAddress }));
  }

  /**
   * Chooses and stores the send's nonce (call while holding the sender's nonce lock). If the send already has a
   * nonce, returns the stored one and its signed tx unchanged. Otherwise nonce = max(pendingNonce, MAX(nonce) of
   * the sender's successful sends + 1), `sign(nonce)` signs, and nonce, signed_tx and signed_hash are written; the
   * update must change exactly one row.
   */
  async assignNonce(p: { taskId: number; pendingNonce: number; sign: Signer }): Promise<SignedSend> {
    if (!Number.isSafeInteger(p.pendingNonce) || p.pendingNonce < 0) {
      throw new PdpError('INVALID_ARGUMENT', `pendingNonce must be an integer >= 0, got ${p.pendingNonce}`);
    }
    return this.#ctx.run(async (tx) => {
      const send = await tx.messageSends.get({ taskId: p.taskId });
      if (!send) throw new PdpError('NOT_FOUND', `no message_sends_eth row for task ${p.taskId}`);
      if (send.nonce !== null && send.signedTx !== null && send.signedHash !== null) {
        return { nonce: send.nonce, signedTx: send.signedTx, signedHash: send.signedHash, reused: true };
      }
      const maxSent = await tx.messageSends.maxSentNonce({ fromAddress: send.fromAddress });
      const nonce = Math.max(p.pendingNonce, maxSent === undefined ? 0 : maxSent + 1);
      const { signedTx, signedHash } = await p.sign(nonce);
      if (!(await tx.messageSends.assignNonce({ taskId: p.taskId, nonce, signedTx, signedHash }))) {
        throw new PdpError('ROW_COUNT', `storing the nonce of send ${p.taskId} did not change exactly one row`);
      }
      return { nonce, signedTx, signedHash, reused: false };
    });
  }

  /**
   * The broadcast result: success when `error` is undefined (send_error ''), else failure with the error text
   * (an empty text becomes 'send failed', so a failure is never mistaken for success). Exactly one row.
   */
  recordSend(p: { taskId: number; error?: string }): Promise<void> {
    const success = p.error === undefined;
    const error = success ? '' : p.error || 'send failed';
    return this.#ctx.run(async (tx, nowMs) => {
      if (!(await tx.messageSends.recordSend({ taskId: p.taskId, success, error, nowMs }))) {
        throw new PdpError('NOT_FOUND', `no message_sends_eth row for task ${p.taskId}`);
      }
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Waits and the watcher

  /** A pending wait for a sent transaction. Without `ignoreExisting` a duplicate hash is a PK violation. */
  insertPendingWait(p: { signedTxHash: string; ignoreExisting?: boolean }): Promise<boolean> {
    return this.#ctx.run((tx) => tx.messageWaits.insertPending(p));
  }

  /** The watcher's claim and read, one transaction: mark unclaimed pending waits, list the claimed pending hashes. */
  claimPendingWaits(p: { limit?: number } = {}): Promise<string[]> {
    return this.#ctx.run(async (tx) => {
      await tx.messageWaits.markWatched();
      return tx.messageWaits.watched({ limit: p.limit ?? WATCH_LIMIT });
    });
  }

  /**
   * Confirms a pending wait (false when it is missing or no longer pending). The status triggers update
   * pdp_proofset_creates.ok and pdp_proofset_root_adds.add_message_ok; the same transaction sets
   * pdp_provider_registrations.ok for this hash (the fix of Piri's never-set ok).
   */
  confirmWait(c: WaitConfirmation): Promise<boolean> {
    return this.#ctx.run(async (tx) => {
      if (!(await tx.messageWaits.confirm(c))) return false;
      await tx.providerRegistrations.applyConfirmation({ registerMessageHash: c.signedTxHash, success: c.success });
      return true;
    });
  }

  getWait(signedTxHash: string): Promise<MessageWaitRow | undefined> {
    return this.#ctx.run((tx) => tx.messageWaits.get({ signedTxHash }));
  }

  /** One read of the wait, classified as WaitForConfirmation does. */
  async confirmationOf(signedTxHash: string): Promise<Confirmation> {
    return confirmationOfWait(await this.getWait(signedTxHash));
  }

  /**
   * Deletes a wait (Piri never does). Cascades to the pdp_proofset_creates, pdp_proofset_roots,
   * pdp_proofset_root_adds and pdp_provider_registrations rows of this hash.
   */
  deleteWait(signedTxHash: string): Promise<boolean> {
    return this.#ctx.run((tx) => tx.messageWaits.delete({ signedTxHash }));
  }
}

export function sendStatusOf(send: MessageSendRow | undefined): SendStatus {
  if (!send) return { state: 'missing' };
  if (send.sendSuccess === null) return send.taskPresent ? { state: 'queued' } : { state: 'abandoned' };
  if (send.signedHash === null || send.sendError === null) {
    return { state: 'invalid', reason: 'unexpected null values: signed_hash or send_error is NULL on an attempted send' };
  }
  return send.sendSuccess ? { state: 'sent', signedHash: send.signedHash } : { state: 'failed', error: send.sendError };
}

export function confirmationOfWait(wait: MessageWaitRow | undefined): Confirmation {
  if (!wait) return { state: 'missing' };
  if (wait.txStatus === 'failed') return { state: 'failed', wait };
  if (wait.txStatus !== 'confirmed') return { state: 'pending' };
  if (wait.txSuccess === null) return { state: 'invalid', wait };
  return wait.txSuccess ? { state: 'success', wait } : { state: 'failed', wait };
}
