/**
 * Provider registration and the admin payment waits (data-model §8.7), dialect-free.
 *
 * Registration:
 *   registrationInProgress  RegisterProvider's conflict check (a registration of the service not yet registered
 *                           and not failed).
 *   register                after Send(register_provider), one transaction: the pending wait and the registration.
 *   (ok)                    set when the wait confirms, by PdpMessages.confirmWait in the same transaction, with the
 *                           status triggers' CASE. Piri has no trigger for this table and never set ok, so its
 *                           registration watcher never ran and RegisterProvider answered "in progress" forever.
 *   readyToRegister / markRegistered  the registration watcher: ok = true AND provider_registered = false ->
 *                           provider_registered = true with the provider id.
 *
 * Rail settlement and withdrawal waits (model-only tables):
 *   beginRailSettlement / beginWithdrawal    before sending: the current wait row with its message wait; if that tx
 *                                            is still pending -> 'pending' (Piri answers 409), else the old row is
 *                                            deleted -> 'clear'. One transaction.
 *   recordRailSettlement / recordWithdrawal  after sending: the pending wait and the (replaced) wait row, one tx.
 *   railSettlementStatus / withdrawalStatus  the status read; the wait row is deleted once its tx is confirmed or
 *                                            its message_waits_eth row is missing. One transaction.
 */
import type { SchedulerSource } from '../sql/index.ts';
import type {
  MessageWaitRow,
  ProviderRegistrationRow,
  RailSettlementWaitRow,
  SchedulerTx,
  WithdrawalWaitRow,
} from '../sql/types.ts';
import { PdpContext, type PdpOptions, PIRI_SERVICE } from './context.ts';

/** The pre-send check of a settlement or withdrawal. */
export type PaymentWaitCheck<R> =
  /** The previous transaction is still pending: do not send another (Piri: 409). Nothing changed. */
  | { readonly status: 'pending'; readonly row: R; readonly wait: MessageWaitRow }
  /** Free to send; `previous` is the old wait row, deleted now. */
  | { readonly status: 'clear'; readonly previous: R | undefined };

/**
 * A rail settlement or withdrawal wait as the status read sees it, with its message wait and whether the read removed
 * it.
 */
export interface PaymentWaitStatus<R> {
  readonly row: R;
  readonly wait: MessageWaitRow | undefined;
  /** The wait row was deleted by this read (its tx confirmed, or its message wait is missing). */
  readonly removed: boolean;
}

/**
 * Provider registration and the rail settlement and withdrawal waits (data-model §8.7). Each method is one transaction,
 * retried on lock errors.
 */
export class PdpProviders {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Registration

  /** A registration of the service still in progress (RegisterProvider fails with Conflict when there is one). */
  registrationInProgress(service: string = PIRI_SERVICE): Promise<ProviderRegistrationRow | undefined> {
    return this.#ctx.run((tx) => tx.providerRegistrations.inProgress({ service }));
  }

  /** The pending wait and the registration (ok NULL, provider_registered false), one transaction. */
  register(p: { registerMessageHash: string; service?: string }): Promise<void> {
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.messageWaits.insertPending({ signedTxHash: p.registerMessageHash });
      await tx.providerRegistrations.insert({
        registerMessageHash: p.registerMessageHash,
        service: p.service ?? PIRI_SERVICE,
        nowMs,
      });
    });
  }

  /** ok = true AND provider_registered = false: the registrations whose tx succeeded, oldest first. */
  readyToRegister(p: { limit?: number } = {}): Promise<ProviderRegistrationRow[]> {
    return this.#ctx.run((tx) => tx.providerRegistrations.ready({ limit: p.limit ?? 1_000 }));
  }

  /** provider_registered = true and the provider id; false when unknown or already registered. */
  markRegistered(p: { registerMessageHash: string; providerId: number }): Promise<boolean> {
    return this.#ctx.run((tx) => tx.providerRegistrations.markRegistered(p));
  }

  getRegistration(registerMessageHash: string): Promise<ProviderRegistrationRow | undefined> {
    return this.#ctx.run((tx) => tx.providerRegistrations.get({ registerMessageHash }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rail settlements

  beginRailSettlement(railId: string): Promise<PaymentWaitCheck<RailSettlementWaitRow>> {
    return this.#ctx.run(async (tx) =>
      begin(tx, await tx.railSettlementWaits.get({ railId }), () => tx.railSettlementWaits.delete({ railId })),
    );
  }

  recordRailSettlement(p: { railId: string; signedTxHash: string }): Promise<void> {
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.messageWaits.insertPending({ signedTxHash: p.signedTxHash });
      await tx.railSettlementWaits.upsert({ ...p, nowMs });
    });
  }

  railSettlementStatus(railId: string): Promise<PaymentWaitStatus<RailSettlementWaitRow> | undefined> {
    return this.#ctx.run(async (tx) =>
      status(tx, await tx.railSettlementWaits.get({ railId }), () => tx.railSettlementWaits.delete({ railId })),
    );
  }

  // -------------------------------------------------------------------------------------------------------------
  // Withdrawals (the newest withdrawal_waits row counts)

  beginWithdrawal(): Promise<PaymentWaitCheck<WithdrawalWaitRow>> {
    return this.#ctx.run(async (tx) => {
      const row = await tx.withdrawalWaits.latest();
      return begin(tx, row, () => tx.withdrawalWaits.delete({ id: row!.id }));
    });
  }

  /** Returns the new withdrawal_waits id. */
  recordWithdrawal(p: { signedTxHash: string }): Promise<number> {
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.messageWaits.insertPending({ signedTxHash: p.signedTxHash });
      return tx.withdrawalWaits.insert({ signedTxHash: p.signedTxHash, nowMs });
    });
  }

  withdrawalStatus(): Promise<PaymentWaitStatus<WithdrawalWaitRow> | undefined> {
    return this.#ctx.run(async (tx) => {
      const row = await tx.withdrawalWaits.latest();
      return status(tx, row, () => tx.withdrawalWaits.delete({ id: row!.id }));
    });
  }
}

async function begin<R extends { signedTxHash: string }>(
  tx: SchedulerTx,
  row: R | undefined,
  remove: () => Promise<boolean>,
): Promise<PaymentWaitCheck<R>> {
  if (!row) return { status: 'clear', previous: undefined };
  const wait = await tx.messageWaits.get({ signedTxHash: row.signedTxHash });
  if (wait?.txStatus === 'pending') return { status: 'pending', row, wait };
  await remove();
  return { status: 'clear', previous: row };
}

async function status<R extends { signedTxHash: string }>(
  tx: SchedulerTx,
  row: R | undefined,
  remove: () => Promise<boolean>,
): Promise<PaymentWaitStatus<R> | undefined> {
  if (!row) return undefined;
  const wait = await tx.messageWaits.get({ signedTxHash: row.signedTxHash });
  const done = !wait || wait.txStatus === 'confirmed' || wait.txStatus === 'failed';
  if (done) await remove();
  return { row, wait, removed: done };
}
