/**
 * Proof set creation (data-model §8.2), dialect-free.
 *
 *   requestCreate        after Send(pdp-mkproofset): the pending wait and pdp_proofset_creates, one transaction.
 *   readyToMaterialise   creates with ok = true (set by the status trigger) AND proofset_created = false, with
 *                        the create tx's receipt (the caller extracts the on-chain data set id from it).
 *   materialise          INSERT pdp_proof_sets with the chain id AND proofset_created = true, in ONE transaction
 *                        (Piri used two, so a crash in between left a proof set whose create was retried on every
 *                        head and failed on the duplicate id). Idempotent: a proof set already inserted for this
 *                        create message is accepted and only the flag is set.
 *   createStatus / get / list   the status reads.
 *   delete               DELETE pdp_proof_sets (never done by Piri): prove tasks, roots and root_adds cascade.
 */
import type { SchedulerSource } from '../sql/index.ts';
import type { MessageWaitRow, ProofSetCreateRow, ProofSetRow } from '../sql/types.ts';
import { PdpContext, type PdpOptions, PIRI_SERVICE } from './context.ts';

/**
 * What PdpProofSets.materialise did with a confirmed proof set creation; every outcome but `created` changed nothing
 * else.
 */
export type MaterialiseProofSetResult =
  /** The proof set was inserted and the create marked done. */
  | { readonly status: 'created' }
  /**
   * The proof set already existed for this create message (Piri's crash window) or the create was already
   * marked done: the create is (now) marked done, nothing else changed.
   */
  | { readonly status: 'already-created' }
  /** No pdp_proofset_creates row for the hash. */
  | { readonly status: 'missing' }
  /** The create tx has not confirmed successfully (ok is NULL or false). Nothing changed. */
  | { readonly status: 'not-ready'; readonly ok: boolean | null }
  /** The id belongs to a proof set of another create message. Nothing changed. */
  | { readonly status: 'id-conflict'; readonly existing: ProofSetRow };

/**
 * A proof set creation as the status read sees it: the create row, its message wait and, once created, the proof set.
 */
export interface ProofSetCreateStatus {
  readonly create: ProofSetCreateRow;
  readonly wait: MessageWaitRow | undefined;
  /** Once created: pdp_proof_sets WHERE create_message_hash. */
  readonly proofSet: ProofSetRow | undefined;
}

/**
 * Proof set creation (data-model §8.2), from the create request to the proof set row, plus the status reads. Each method is
 * one transaction, retried on lock errors.
 */
export class PdpProofSets {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  /** The pending wait for the create tx and its pdp_proofset_creates row (ok NULL, proofset_created false). */
  requestCreate(p: { createMessageHash: string; service?: string }): Promise<void> {
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.messageWaits.insertPending({ signedTxHash: p.createMessageHash });
      await tx.proofSetCreates.insert({ createMessageHash: p.createMessageHash, service: p.service ?? PIRI_SERVICE, nowMs });
    });
  }

  readyToMaterialise(p: { limit?: number } = {}): Promise<(ProofSetCreateRow & { readonly txReceipt: unknown })[]> {
    return this.#ctx.run((tx) => tx.proofSetCreates.ready({ limit: p.limit ?? 1_000 }));
  }

  /** One transaction: the proof set row (init_ready false) and proofset_created = true. */
  materialise(p: {
    createMessageHash: string;
    proofSetId: number;
    provingPeriod: number | null;
    challengeWindow: number | null;
  }): Promise<MaterialiseProofSetResult> {
    return this.#ctx.run(async (tx): Promise<MaterialiseProofSetResult> => {
      const create = await tx.proofSetCreates.get({ createMessageHash: p.createMessageHash });
      if (!create) return { status: 'missing' };
      if (create.proofsetCreated) return { status: 'already-created' };
      if (create.ok !== true) return { status: 'not-ready', ok: create.ok };
      const inserted = await tx.proofSets.insert({
        id: p.proofSetId,
        createMessageHash: p.createMessageHash,
        service: create.service,
        provingPeriod: p.provingPeriod,
        challengeWindow: p.challengeWindow,
      });
      if (!inserted) {
        const existing = await tx.proofSets.get({ id: p.proofSetId });
        if (existing && existing.createMessageHash !== p.createMessageHash) return { status: 'id-conflict', existing };
      }
      await tx.proofSetCreates.markCreated({ createMessageHash: p.createMessageHash });
      return { status: inserted ? 'created' : 'already-created' };
    });
  }

  /** The create, its wait and (once created) its proof set, read in one transaction. */
  createStatus(createMessageHash: string): Promise<ProofSetCreateStatus | undefined> {
    return this.#ctx.run(async (tx) => {
      const create = await tx.proofSetCreates.get({ createMessageHash });
      if (!create) return undefined;
      const wait = await tx.messageWaits.get({ signedTxHash: createMessageHash });
      const proofSet = await tx.proofSets.getByCreateMessageHash({ createMessageHash });
      return { create, wait, proofSet };
    });
  }

  get(id: number): Promise<ProofSetRow | undefined> {
    return this.#ctx.run((tx) => tx.proofSets.get({ id }));
  }

  list(service: string = PIRI_SERVICE): Promise<ProofSetRow[]> {
    return this.#ctx.run((tx) => tx.proofSets.list({ service }));
  }

  /** Deletes the proof set; its pdp_prove_tasks, pdp_proofset_roots (refcounts decremented) and root_adds cascade. */
  delete(id: number): Promise<boolean> {
    return this.#ctx.run((tx) => tx.proofSets.delete({ id }));
  }
}
