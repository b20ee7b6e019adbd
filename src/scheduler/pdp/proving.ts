/**
 * The proving-period state machine on pdp_proof_sets (data-model §8.6), dialect-free.
 *
 *   initCandidates / scheduleInit            PDPInitPP: AddTask whose extra sets challenge_request_task_id only
 *                                            while it is NULL; 0 rows vetoes (no task).
 *   nextPeriodCandidates / scheduleNextPeriod PDPProvingPeriod: the same conditional link.
 *   proofSetForInitTask / proofSetForPeriodTask  the task's Do reads its proof set back.
 *   recordChallengeRequest                   after Send(pdp-proving-init | pdp-proving-period), one transaction:
 *                                            msg hash, prev epoch, prove_at_epoch (0 rows is an error) and the
 *                                            pending wait ON CONFLICT DO NOTHING. When the task then completes,
 *                                            its row is deleted and the FK sets challenge_request_task_id NULL.
 *   scheduleProves                           PDPProve, Piri's loop: one AddTask per proof set whose challenge
 *                                            request confirmed successfully and whose prove_at_epoch < height;
 *                                            extra inserts pdp_prove_tasks and clears challenge_request_msg_hash,
 *                                            vetoing on 0 rows. When the task completes, the FK deletes its
 *                                            pdp_prove_tasks rows.
 *   proveTargets / challengedRoots           the prove task's reads.
 *   cleanupDeletedRoots                      Prove step 4, with Piri's id mix-up fixed (see the method).
 *   state                                    the proof set plus "currently proving" (its pdp_prove_tasks count).
 */
import type { SchedulerSource } from '../sql/index.ts';
import type { ProofSetRow, RootRow, SchedulerTx } from '../sql/types.ts';
import type { AddTaskResult, TaskEngine } from '../task-engine.ts';
import { PDP_INIT_PP_TASK, PDP_PROVE_TASK, PDP_PROVING_PERIOD_TASK, PdpContext, type PdpOptions } from './context.ts';
import { PdpError } from './errors.ts';

/** A PDPProve task PdpProving.scheduleProves added, and the proof set it proves. */
export interface ScheduledProve {
  readonly proofSetId: number;
  readonly taskId: number;
}

/** A proof set and whether it is being proved now (it has a PDPProve task). */
export interface ProofSetState {
  readonly proofSet: ProofSetRow;
  /** pdp_prove_tasks rows of the proof set (a PDPProve task exists for it). */
  readonly proveTasks: number;
  readonly proving: boolean;
}

/** What PdpProving.cleanupDeletedRoots deleted. */
export interface RootCleanup {
  /** pdp_proofset_roots rows deleted (all subroots of the roots). */
  readonly rootsDeleted: number;
  /** parked_piece_refs.ref_id values deleted (their pdp_piecerefs rows cascaded). */
  readonly parkedRefsDeleted: number[];
}

/**
 * The proving-period state machine (data-model §8.6): schedules PDPInitPP, PDPProvingPeriod and PDPProve tasks on a
 * TaskEngine and records their progress. Each method is one transaction, retried on lock errors.
 */
export class PdpProving {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Init and next period

  /** challenge_request_task_id IS NULL AND init_ready AND prove_at_epoch IS NULL. */
  initCandidates(): Promise<number[]> {
    return this.#ctx.run((tx) => tx.proofSets.initCandidates());
  }

  /** challenge_request_task_id IS NULL AND prove_at_epoch + challenge_window <= height. */
  nextPeriodCandidates(p: { height: number }): Promise<number[]> {
    return this.#ctx.run((tx) => tx.proofSets.nextPeriodCandidates(p));
  }

  /** AddTask(PDPInitPP) linked to the proof set; 'vetoed' when it already has a challenge task (or does not exist). */
  scheduleInit(engine: TaskEngine, proofSetId: number): Promise<AddTaskResult> {
    return engine.addTask(PDP_INIT_PP_TASK, (taskId, tx) => tx.proofSets.claimChallengeTask({ id: proofSetId, taskId }));
  }

  /** AddTask(PDPProvingPeriod) linked to the proof set; 'vetoed' as scheduleInit. */
  scheduleNextPeriod(engine: TaskEngine, proofSetId: number): Promise<AddTaskResult> {
    return engine.addTask(PDP_PROVING_PERIOD_TASK, (taskId, tx) =>
      tx.proofSets.claimChallengeTask({ id: proofSetId, taskId }),
    );
  }

  /** PDPInitPP's Do: the proof set linked to the task (undefined: done, nothing to do). */
  proofSetForInitTask(taskId: number): Promise<number | undefined> {
    return this.#ctx.run((tx) => tx.proofSets.byChallengeTask({ taskId, requireProveAt: false }));
  }

  /** PDPProvingPeriod's Do: the proof set linked to the task, only once it has a prove_at_epoch. */
  proofSetForPeriodTask(taskId: number): Promise<number | undefined> {
    return this.#ctx.run((tx) => tx.proofSets.byChallengeTask({ taskId, requireProveAt: true }));
  }

  /**
   * After sending the challenge request: one transaction with the proof set's msg hash, prev epoch and
   * prove_at_epoch (NOT_FOUND when the proof set is gone) and the pending wait (kept if it exists).
   */
  recordChallengeRequest(p: { proofSetId: number; msgHash: string; prevEpoch: number; proveAtEpoch: number }): Promise<void> {
    return this.#ctx.run(async (tx) => {
      const updated = await tx.proofSets.recordChallengeRequest({
        id: p.proofSetId,
        msgHash: p.msgHash,
        prevEpoch: p.prevEpoch,
        proveAtEpoch: p.proveAtEpoch,
      });
      if (!updated) throw new PdpError('NOT_FOUND', `proof set ${p.proofSetId} does not exist`);
      await tx.messageWaits.insertPending({ signedTxHash: p.msgHash, ignoreExisting: true });
    });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Prove

  /**
   * Piri's prove scheduling loop at chain height `height`: each iteration is one AddTask(PDPProve) whose extra
   * picks the first of up to two candidates, inserts pdp_prove_tasks(proofset, task) and clears the proof set's
   * challenge_request_msg_hash (vetoing when either changes no row, or when there is no candidate). The loop goes
   * on while the iteration saw two candidates. Returns what was scheduled.
   */
  async scheduleProves(engine: TaskEngine, p: { height: number }): Promise<ScheduledProve[]> {
    const scheduled: ScheduledProve[] = [];
    for (;;) {
      let picked: number | undefined;
      let more = false;
      const result = await engine.addTask(PDP_PROVE_TASK, async (taskId: number, tx: SchedulerTx) => {
        const candidates = await tx.proofSets.proveCandidates({ height: p.height, limit: 2 });
        picked = candidates[0];
        more = candidates.length === 2;
        if (picked === undefined) return false;
        if (!(await tx.proveTasks.insert({ proofSetId: picked, taskId }))) return false;
        return tx.proofSets.clearChallengeMsg({ id: picked });
      });
      if (result.status !== 'added' || picked === undefined) break;
      scheduled.push({ proofSetId: picked, taskId: result.taskId });
      if (!more) break;
    }
    return scheduled;
  }

  /** The proof sets a PDPProve task proves (pdp_prove_tasks WHERE task_id). */
  proveTargets(taskId: number): Promise<number[]> {
    return this.#ctx.run((tx) => tx.proveTasks.byTask({ taskId }));
  }

  /** The rows of a challenged root ORDER BY subroot_offset (root, subroot, subroot_offset, subroot_size, ...). */
  challengedRoots(p: { proofSetId: number; rootId: number }): Promise<RootRow[]> {
    return this.#ctx.run((tx) => tx.roots.byRootId(p));
  }

  /**
   * Removes roots scheduled for deletion, one transaction. For each root id: its pdp_proofset_roots rows are
   * deleted (the refcount trigger decrements their pdp_piecerefs), then, for each pdp_piecerefs row they
   * referenced, the parked_piece_refs row IT POINTS TO (pdp_piecerefs.piece_ref) is deleted - which cascades to
   * the pdp_piecerefs row - unless that parked ref is still used by another root (refcount > 0) or a pending
   * root_add.
   *
   * Piri deleted `parked_piece_refs WHERE ref_id = <pdp_piecerefs id>` (an id of another table: it removed an
   * unrelated piece's ref, or nothing), only for the first subroot, and regardless of other users.
   */
  cleanupDeletedRoots(p: { proofSetId: number; rootIds: readonly number[] }): Promise<RootCleanup> {
    return this.#ctx.run(async (tx) => {
      let rootsDeleted = 0;
      const parkedRefsDeleted: number[] = [];
      for (const rootId of p.rootIds) {
        const rows = await tx.roots.byRootId({ proofSetId: p.proofSetId, rootId });
        const pieceRefIds = [...new Set(rows.map((r) => r.pdpPieceRefId).filter((id): id is number => id !== null))];
        rootsDeleted += await tx.roots.deleteRoot({ proofSetId: p.proofSetId, rootId });
        for (const pdpPieceRefId of pieceRefIds) {
          parkedRefsDeleted.push(...(await tx.parkedPieceRefs.deleteReleasedByPieceRef({ pdpPieceRefId })));
        }
      }
      return { rootsDeleted, parkedRefsDeleted };
    });
  }

  /** The proof set and whether it is being proved now, read in one transaction. */
  state(proofSetId: number): Promise<ProofSetState | undefined> {
    return this.#ctx.run(async (tx) => {
      const proofSet = await tx.proofSets.get({ id: proofSetId });
      if (!proofSet) return undefined;
      const proveTasks = await tx.proveTasks.countForProofSet({ proofSetId });
      return { proofSet, proveTasks, proving: proveTasks > 0 };
    });
  }
}
