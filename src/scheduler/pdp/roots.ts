/**
 * Adding roots to a proof set (data-model §8.4, the manager queue's add_roots job), dialect-free.
 *
 *   duplicates         roots already confirmed (pdp_proofset_roots) and pending (pdp_proofset_root_adds whose
 *                      add tx has not failed), each with the add message hash.
 *   subrootPieces      pdp_piecerefs x parked_piece_refs x parked_pieces for the service and piece CIDs.
 *   requestAdd         after Send(pdp-addroots), one transaction: the pending wait, init_ready = true when the
 *                      proving fields are still NULL, and one root_adds row per subroot (add_message_index = the
 *                      root's position in the request, subroot_offset = cumulative padded size within the root).
 *                      Root_adds of the same roots whose add tx FAILED are deleted first (Piri kept them forever,
 *                      and their primary key (proofset_id, subroot_offset, root) made re-adding the root fail).
 *   readyToMaterialise DISTINCT (proofset_id, add_message_hash) with add_message_ok = true (set by the trigger),
 *                      with the add tx's receipt (the caller extracts the piece ids).
 *   materialise        the root-add watcher's transaction: roots with root_id = pieceIds[add_message_index]
 *                      ON CONFLICT DO NOTHING (the refcount trigger fires), and the root_adds deleted.
 *   removeFailedAdds   deletes root_adds whose add tx failed (add_message_ok = false).
 *   repairRoot         the admin repair for a root on chain but missing here (§8.4 step 8).
 *   recordRemoval      RemoveRoot's pending wait (Piri ignored its insert error: ON CONFLICT DO NOTHING).
 */
import type { SchedulerSource } from '../sql/index.ts';
import type { RootMessage, RootRow, SubrootPiece } from '../sql/types.ts';
import { PdpContext, type PdpOptions, PIRI_SERVICE } from './context.ts';
import { PdpError } from './errors.ts';

/** One subroot of a root to add: its piece CID, padded size and parked piece reference. */
export interface SubrootRequest {
  /** Subroot piece CID v2. */
  readonly subroot: string;
  /** Padded size; the next subroot's offset is this one's offset plus this. */
  readonly paddedSize: number;
  /** pdp_piecerefs.id of the subroot's piece (from subrootPieces); null when unknown. */
  readonly pdpPieceRefId: number | null;
}

/** A root to add to a proof set (PdpRoots.requestAdd), with its subroots in order. */
export interface RootRequest {
  /** Root piece CID v2. */
  readonly root: string;
  readonly subroots: readonly SubrootRequest[];
}

/** Which of the requested roots a proof set already has (confirmed) or is adding (pending), with their add messages. */
export interface RootDuplicates {
  /** Roots already in pdp_proofset_roots: Piri returns that add message hash as success. */
  readonly confirmed: RootMessage[];
  /** Roots with a pending (not failed) add: Piri waits for that hash. */
  readonly pending: RootMessage[];
}

/**
 * Adding roots to proof sets (data-model §8.4, the manager queue's add_roots job) and the admin repair of a missing root.
 * Each method is one transaction, retried on lock errors.
 */
export class PdpRoots {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  /** Both duplicate checks, read in one transaction. */
  duplicates(p: { proofSetId: number; roots: readonly string[] }): Promise<RootDuplicates> {
    return this.#ctx.run(async (tx) => ({
      confirmed: p.roots.length === 0 ? [] : await tx.roots.existing(p),
      pending: p.roots.length === 0 ? [] : await tx.rootAdds.pending(p),
    }));
  }

  subrootPieces(p: { pieceCids: readonly string[]; service?: string }): Promise<SubrootPiece[]> {
    if (p.pieceCids.length === 0) return Promise.resolve([]);
    return this.#ctx.run((tx) => tx.pieceRefs.subrootPieces({ service: p.service ?? PIRI_SERVICE, pieceCids: p.pieceCids }));
  }

  /**
   * The add request's transaction. Rejects with PdpError NOT_FOUND when the proof set does not exist (nothing is
   * written) and INVALID_ARGUMENT for an empty request or a root without subroots.
   */
  async requestAdd(p: { proofSetId: number; addMessageHash: string; roots: readonly RootRequest[] }): Promise<{
    initReady: boolean;
    rootAdds: number;
    failedAddsRemoved: number;
  }> {
    if (p.roots.length === 0) throw new PdpError('INVALID_ARGUMENT', 'requestAdd needs at least one root');
    for (const r of p.roots) {
      if (r.subroots.length === 0) throw new PdpError('INVALID_ARGUMENT', `root ${r.root} has no subroots`);
    }
    return this.#ctx.run(async (tx) => {
      if (!(await tx.proofSets.get({ id: p.proofSetId }))) {
        throw new PdpError('NOT_FOUND', `proof set ${p.proofSetId} does not exist`);
      }
      const failedAddsRemoved = await tx.rootAdds.deleteFailed({ proofSetId: p.proofSetId, roots: p.roots.map((r) => r.root) });
      await tx.messageWaits.insertPending({ signedTxHash: p.addMessageHash });
      const initReady = await tx.proofSets.markInitReady({ id: p.proofSetId });
      let rootAdds = 0;
      for (const [index, r] of p.roots.entries()) {
        let offset = 0;
        for (const sub of r.subroots) {
          await tx.rootAdds.insert({
            proofsetId: p.proofSetId,
            addMessageHash: p.addMessageHash,
            subrootOffset: offset,
            root: r.root,
            addMessageIndex: index,
            subroot: sub.subroot,
            subrootSize: sub.paddedSize,
            pdpPieceRefId: sub.pdpPieceRefId,
          });
          offset += sub.paddedSize;
          rootAdds++;
        }
      }
      return { initReady, rootAdds, failedAddsRemoved };
    });
  }

  readyToMaterialise(p: { limit?: number } = {}): Promise<{ proofSetId: number; addMessageHash: string; txReceipt: unknown }[]> {
    return this.#ctx.run((tx) => tx.rootAdds.ready({ limit: p.limit ?? 1_000 }));
  }

  /**
   * The root-add watcher's step for one confirmed add message, one transaction: each root_add (in
   * add_message_index, subroot_offset order) becomes a pdp_proofset_roots row with root_id =
   * pieceIds[add_message_index] (ON CONFLICT DO NOTHING), then the message's root_adds are deleted. Rejects with
   * INVALID_ARGUMENT (and changes nothing) when pieceIds has no id for an index.
   */
  materialise(p: { proofSetId: number; addMessageHash: string; pieceIds: readonly number[] }): Promise<{
    inserted: number;
    removed: number;
  }> {
    return this.#ctx.run(async (tx) => {
      const adds = await tx.rootAdds.confirmedForMessage(p);
      if (adds.length === 0) return { inserted: 0, removed: 0 };
      let inserted = 0;
      for (const add of adds) {
        const index = add.addMessageIndex ?? 0;
        const rootId = p.pieceIds[index];
        if (rootId === undefined) {
          throw new PdpError('INVALID_ARGUMENT', `no piece id for add_message_index ${index} of ${p.addMessageHash}`);
        }
        const added = await tx.roots.insert({
          proofsetId: add.proofsetId,
          rootId,
          subrootOffset: add.subrootOffset,
          root: add.root,
          addMessageHash: p.addMessageHash,
          addMessageIndex: add.addMessageIndex,
          subroot: add.subroot,
          subrootSize: add.subrootSize,
          pdpPieceRefId: add.pdpPieceRefId,
        });
        if (added) inserted++;
      }
      const removed = await tx.rootAdds.deleteForMessage(p);
      return { inserted, removed };
    });
  }

  /** Deletes root_adds whose add tx failed, of one proof set or of all. Returns how many. */
  removeFailedAdds(p: { proofSetId?: number } = {}): Promise<number> {
    return this.#ctx.run((tx) => tx.rootAdds.deleteFailed(p));
  }

  /**
   * Admin repair of one root that is on chain (as `rootId`) but still only in root_adds, one transaction: its
   * root_adds become roots (ON CONFLICT DO NOTHING), are deleted, and each add message still pending is marked
   * confirmed and successful (which fires the status triggers for the other roots of that message).
   */
  repairRoot(p: { proofSetId: number; root: string; rootId: number }): Promise<{
    inserted: number;
    removed: number;
    confirmed: string[];
  }> {
    return this.#ctx.run(async (tx) => {
      const adds = await tx.rootAdds.forRoot(p);
      let inserted = 0;
      const hashes = new Set<string>();
      for (const add of adds) {
        if (add.addMessageHash === null) continue;
        hashes.add(add.addMessageHash);
        const added = await tx.roots.insert({
          proofsetId: add.proofsetId,
          rootId: p.rootId,
          subrootOffset: add.subrootOffset,
          root: add.root,
          addMessageHash: add.addMessageHash,
          addMessageIndex: add.addMessageIndex,
          subroot: add.subroot,
          subrootSize: add.subrootSize,
          pdpPieceRefId: add.pdpPieceRefId,
        });
        if (added) inserted++;
      }
      const removed = await tx.rootAdds.deleteForRoot(p);
      const confirmed: string[] = [];
      for (const hash of hashes) {
        if (await tx.messageWaits.confirmSuccessful({ signedTxHash: hash })) confirmed.push(hash);
      }
      return { inserted, removed, confirmed };
    });
  }

  /** RemoveRoot: the pending wait of the delete-root tx; an existing wait is kept. The cleanup happens in Prove. */
  recordRemoval(p: { signedTxHash: string }): Promise<boolean> {
    return this.#ctx.run((tx) => tx.messageWaits.insertPending({ signedTxHash: p.signedTxHash, ignoreExisting: true }));
  }

  /** A proof set's roots ORDER BY root_id, subroot_offset. */
  list(proofSetId: number): Promise<RootRow[]> {
    return this.#ctx.run((tx) => tx.roots.list({ proofSetId }));
  }
}
