/**
 * The PDP proving-period state machine (src/scheduler/pdp/proving.ts, data-model §8.6 and §8.8) on both backends:
 * scheduling through the task engine with its conditional link and veto, the challenge request, prove scheduling,
 * the FK behaviours when the engine finishes a task, the prover's reads, and the fixed cleanup of deleted roots.
 */
import { expect, it } from 'vitest';
import {
  PDP_INIT_PP_TASK,
  PDP_PROVE_TASK,
  PDP_PROVING_PERIOD_TASK,
  type PdpFlows,
  pdpFlows,
} from '../../src/scheduler/pdp/index.ts';
import type { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, type Harness } from './helpers.ts';

const done = () => ({ done: true });

function provingEngine(h: Harness): TaskEngine {
  return h
    .engine()
    .register({ name: PDP_INIT_PP_TASK, maxFailures: 0, maxInFlight: 8, do: done })
    .register({ name: PDP_PROVING_PERIOD_TASK, maxFailures: 0, maxInFlight: 8, do: done })
    .register({ name: PDP_PROVE_TASK, maxFailures: 5, maxInFlight: 8, do: done });
}

/** Runs every claimable task of the engine to completion (each `do` reports done, so its row is deleted). */
async function runTasks(engine: TaskEngine): Promise<number> {
  if (engine.state === 'new') await engine.join();
  const claimed = await engine.pollOnce();
  await engine.settled();
  return claimed;
}

const addedId = (result: { status: string; taskId?: number }): number => {
  if (result.status !== 'added' || result.taskId === undefined) throw new Error(`expected added, got ${result.status}`);
  return result.taskId;
};

const confirmation = (signedTxHash: string, success: boolean) => ({
  signedTxHash,
  blockNumber: 1,
  txHash: signedTxHash,
  txData: {},
  receipt: { status: success ? 1 : 0 },
  success,
});

/** A proof set whose challenge request `hash` was recorded with prove_at_epoch = proveAt and confirmed (or not). */
async function challenged(h: Harness, flows: PdpFlows, id: number, proveAt: number, outcome: boolean | 'pending') {
  await h.insert('pdpProofSets', [{ id, createMessageHash: `0xc${id}`, service: 'storacha', challengeWindow: 30 }]);
  await flows.proving.recordChallengeRequest({ proofSetId: id, msgHash: `0xch${id}`, prevEpoch: proveAt - 100, proveAtEpoch: proveAt });
  if (outcome !== 'pending') await flows.messages.confirmWait(confirmation(`0xch${id}`, outcome));
}

forEachBackend('pdp proving: init and next period', (backend) => {
  it('scheduleInit links one PDPInitPP task to a ready proof set and vetoes a second', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const engine = provingEngine(h);
    await h.insert('pdpProofSets', [
      { id: 1, createMessageHash: '0x1', service: 'storacha', initReady: true },
      { id: 2, createMessageHash: '0x2', service: 'storacha', initReady: false },
      { id: 3, createMessageHash: '0x3', service: 'storacha', initReady: true, proveAtEpoch: 10 },
    ]);
    expect(await flows.proving.initCandidates()).toEqual([1]);
    const taskId = addedId(await flows.proving.scheduleInit(engine, 1));
    expect(await h.selectAll('task')).toMatchObject([{ id: taskId, name: 'PDPInitPP' }]);
    expect((await flows.proofSets.get(1))!.challengeRequestTaskId).toBe(taskId);
    expect(await flows.proving.initCandidates()).toEqual([]);
    expect(await flows.proving.proofSetForInitTask(taskId)).toBe(1);

    expect(await flows.proving.scheduleInit(engine, 1)).toEqual({ status: 'vetoed' });
    expect(await flows.proving.scheduleInit(engine, 404)).toEqual({ status: 'vetoed' });
    expect((await h.selectAll('task')).map((t) => t.id)).toEqual([taskId]);
    expect((await flows.proofSets.get(1))!.challengeRequestTaskId).toBe(taskId);
  });

  it('recordChallengeRequest sets the three fields and the pending wait (kept if it exists), NOT_FOUND otherwise', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0x1', service: 'storacha', initReady: true }]);
    await flows.proving.recordChallengeRequest({ proofSetId: 1, msgHash: '0xch', prevEpoch: 500, proveAtEpoch: 620 });
    expect(await flows.proofSets.get(1)).toMatchObject({
      challengeRequestMsgHash: '0xch',
      prevChallengeRequestEpoch: 500,
      proveAtEpoch: 620,
    });
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([{ signedTxHash: '0xch', txStatus: 'pending' }]);
    // The same hash again (a re-run of the task): the wait is kept, no error.
    await flows.proving.recordChallengeRequest({ proofSetId: 1, msgHash: '0xch', prevEpoch: 501, proveAtEpoch: 621 });
    expect(await h.selectAll('messageWaitsEth')).toHaveLength(1);
    expect((await flows.proofSets.get(1))!.proveAtEpoch).toBe(621);

    await expect(
      flows.proving.recordChallengeRequest({ proofSetId: 2, msgHash: '0xnope', prevEpoch: 1, proveAtEpoch: 2 }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await h.selectAll('messageWaitsEth')).map((w) => w.signedTxHash)).toEqual(['0xch']);
  });

  it('finishing the task clears challenge_request_task_id (FK SET NULL), so the next period can be scheduled', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const engine = provingEngine(h);
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0x1', service: 'storacha', initReady: true, challengeWindow: 30 }]);
    const init = addedId(await flows.proving.scheduleInit(engine, 1));
    await flows.proving.recordChallengeRequest({ proofSetId: 1, msgHash: '0xch1', prevEpoch: 900, proveAtEpoch: 1000 });
    expect(await flows.proving.nextPeriodCandidates({ height: 5000 })).toEqual([]);

    expect(await runTasks(engine)).toBe(1);
    expect(await h.selectAll('task')).toEqual([]);
    expect((await flows.proofSets.get(1))!.challengeRequestTaskId).toBeNull();
    expect(await flows.proving.proofSetForInitTask(init)).toBeUndefined();
    expect(await flows.proving.initCandidates()).toEqual([]);

    // prove_at_epoch + challenge_window = 1030
    expect(await flows.proving.nextPeriodCandidates({ height: 1029 })).toEqual([]);
    expect(await flows.proving.nextPeriodCandidates({ height: 1030 })).toEqual([1]);
    const period = addedId(await flows.proving.scheduleNextPeriod(engine, 1));
    expect((await h.selectAll('task')).map((t) => t.name)).toEqual(['PDPProvingPeriod']);
    expect(await flows.proving.proofSetForPeriodTask(period)).toBe(1);
    expect(await flows.proving.scheduleNextPeriod(engine, 1)).toEqual({ status: 'vetoed' });
    expect(await flows.proving.nextPeriodCandidates({ height: 1030 })).toEqual([]);
    await runTasks(engine);
    expect((await flows.proofSets.get(1))!.challengeRequestTaskId).toBeNull();
  });

  it('proofSetForPeriodTask requires a prove_at_epoch', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const engine = provingEngine(h);
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0x1', service: 'storacha' }]);
    const period = addedId(await flows.proving.scheduleNextPeriod(engine, 1));
    expect(await flows.proving.proofSetForPeriodTask(period)).toBeUndefined();
    expect(await flows.proving.proofSetForInitTask(period)).toBe(1);
  });
});

forEachBackend('pdp proving: prove tasks', (backend) => {
  it('scheduleProves adds one PDPProve task per due proof set with a successful challenge, clearing its msg hash', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const engine = provingEngine(h);
    await challenged(h, flows, 1, 100, true);
    await challenged(h, flows, 2, 150, true);
    await challenged(h, flows, 3, 199, true);
    await challenged(h, flows, 4, 100, false); // the challenge tx failed
    await challenged(h, flows, 5, 100, 'pending'); // not confirmed yet
    await challenged(h, flows, 6, 200, true); // not due: prove_at_epoch < height is required

    const scheduled = await flows.proving.scheduleProves(engine, { height: 200 });
    expect(scheduled.map((s) => s.proofSetId)).toEqual([1, 2, 3]);
    const tasks = await h.selectAll('task');
    expect(tasks.map((t) => t.name)).toEqual(['PDPProve', 'PDPProve', 'PDPProve']);
    expect(scheduled.map((s) => s.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
    const proveRows = (await h.selectAll('pdpProveTasks')).map((r) => [r.proofsetId, r.taskId]).sort();
    expect(proveRows).toEqual(scheduled.map((s) => [s.proofSetId, s.taskId]).sort());
    const hashes = Object.fromEntries((await flows.proofSets.list()).map((p) => [p.id, p.challengeRequestMsgHash]));
    expect(hashes).toEqual({ 1: null, 2: null, 3: null, 4: '0xch4', 5: '0xch5', 6: '0xch6' });
    for (const s of scheduled) expect(await flows.proving.proveTargets(s.taskId)).toEqual([s.proofSetId]);

    // Nothing due any more: the AddTask is vetoed, no task row.
    expect(await flows.proving.scheduleProves(engine, { height: 200 })).toEqual([]);
    expect(await h.selectAll('task')).toHaveLength(3);
    expect((await flows.proving.scheduleProves(engine, { height: 201 })).map((s) => s.proofSetId)).toEqual([6]);
  });

  it('state reports proving while the prove task exists; finishing it deletes pdp_prove_tasks (FK CASCADE)', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const engine = provingEngine(h);
    await challenged(h, flows, 1, 100, true);
    expect(await flows.proving.state(1)).toMatchObject({ proveTasks: 0, proving: false });
    const [scheduled] = await flows.proving.scheduleProves(engine, { height: 101 });
    expect(await flows.proving.state(1)).toMatchObject({ proofSet: { id: 1 }, proveTasks: 1, proving: true });
    expect(await runTasks(engine)).toBe(1);
    expect(await h.selectAll('task')).toEqual([]);
    expect(await h.selectAll('pdpProveTasks')).toEqual([]);
    expect(await flows.proving.proveTargets(scheduled!.taskId)).toEqual([]);
    expect(await flows.proving.state(1)).toMatchObject({ proveTasks: 0, proving: false });
    expect(await flows.proving.state(2)).toBeUndefined();
  });

  it('challengedRoots reads the rows of one root in subroot_offset order', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    await flows.messages.insertPendingWait({ signedTxHash: '0xadd' });
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0x1', service: 'storacha' }]);
    await h.insert('pdpProofsetRoots', [
      { proofsetId: 1, rootId: 4, subrootOffset: 256, root: 'r4', addMessageHash: '0xadd', subroot: 's2', subrootSize: 512 },
      { proofsetId: 1, rootId: 4, subrootOffset: 0, root: 'r4', addMessageHash: '0xadd', subroot: 's1', subrootSize: 256 },
      { proofsetId: 1, rootId: 5, subrootOffset: 0, root: 'r5', addMessageHash: '0xadd', subroot: 's3', subrootSize: 128 },
    ]);
    expect((await flows.proving.challengedRoots({ proofSetId: 1, rootId: 4 })).map((r) => [r.root, r.subroot, r.subrootOffset, r.subrootSize])).toEqual([
      ['r4', 's1', 0, 256],
      ['r4', 's2', 256, 512],
    ]);
    expect(await flows.proving.challengedRoots({ proofSetId: 1, rootId: 6 })).toEqual([]);
  });
});

forEachBackend('pdp proving: cleanup of deleted roots', (backend) => {
  /** A root in proof set `proofSetId` whose subroots are these parked pieces; returns their pdp_piecerefs ids. */
  async function addRoot(h: Harness, flows: PdpFlows, proofSetId: number, rootId: number, cids: string[]) {
    const ids: number[] = [];
    let offset = 0;
    for (const cid of cids) {
      const parked = await flows.pieces.parkPiece({ pieceCid: cid, paddedSize: 128, rawSize: 127, dataUrl: `pdpstore://${cid}` });
      await h.insert('pdpProofsetRoots', [
        { proofsetId: proofSetId, rootId, subrootOffset: offset, root: `root${rootId}`, addMessageHash: '0xadd', subroot: cid, subrootSize: 128, pdpPieceRefId: parked.pdpPieceRefId },
      ]);
      offset += 128;
      ids.push(parked.pdpPieceRefId);
    }
    return ids;
  }

  async function base(h: Harness) {
    const flows = pdpFlows(h.sql, { clock: h.clock });
    await flows.messages.insertPendingWait({ signedTxHash: '0xadd' });
    await h.insert('pdpProofSets', [
      { id: 1, createMessageHash: '0x1', service: 'storacha' },
      { id: 2, createMessageHash: '0x2', service: 'storacha' },
    ]);
    return flows;
  }

  it('deletes the parked_piece_refs row the root points to, not the one whose ref_id equals the pdp_piecerefs id', async () => {
    const h = await harness(backend);
    const flows = await base(h);
    // An unrelated parked piece whose ref was created first, so parked_piece_refs ids run one ahead of
    // pdp_piecerefs ids: Piri's `DELETE ... WHERE ref_id = <pdp_piecerefs id>` would hit this ref.
    await h.insert('parkedPieces', [{ id: 900, pieceCid: 'bafkunrelated', piecePaddedSize: 1, pieceRawSize: 1, complete: true, longTerm: true }]);
    await h.insert('parkedPieceRefs', [{ pieceId: 900, dataUrl: 'pdpstore://unrelated', longTerm: true }]);
    const [pdpRefId] = await addRoot(h, flows, 1, 10, ['bafka']);
    const pieceRef = (await flows.pieces.getPieceRef(pdpRefId!))!;
    expect(pieceRef.pieceRef).not.toBe(pdpRefId);
    const unrelated = (await h.selectAll('parkedPieceRefs')).find((r) => r.dataUrl === 'pdpstore://unrelated');
    expect(unrelated!.refId).toBe(pdpRefId); // Piri's statement would delete this one
    expect(pieceRef.proofsetRefcount).toBe(1);

    expect(await flows.proving.cleanupDeletedRoots({ proofSetId: 1, rootIds: [10] })).toEqual({
      rootsDeleted: 1,
      parkedRefsDeleted: [pieceRef.pieceRef],
    });
    expect(await h.selectAll('pdpProofsetRoots')).toEqual([]);
    expect((await h.selectAll('parkedPieceRefs')).map((r) => r.refId)).toEqual([unrelated!.refId]);
    expect(await h.selectAll('pdpPiecerefs')).toEqual([]); // cascaded from its parked ref
    expect((await h.selectAll('parkedPieces')).map((p) => p.pieceCid).sort()).toEqual(['bafka', 'bafkunrelated']);
  });

  it('handles every subroot of the root, and keeps a parked ref another root or a pending add still uses', async () => {
    const h = await harness(backend);
    const flows = await base(h);
    const [a, b] = await addRoot(h, flows, 1, 10, ['bafka', 'bafkb']);
    const [c] = await addRoot(h, flows, 1, 11, ['bafkc']);
    await addRoot(h, flows, 2, 20, ['bafkb']); // piece b is also a root of proof set 2
    await h.insert('pdpProofsetRootAdds', [
      { proofsetId: 2, addMessageHash: '0xadd', subrootOffset: 0, root: 'pending', subroot: 'bafkc', pdpPieceRefId: c },
    ]);
    const refOf = async (id: number) => (await flows.pieces.getPieceRef(id))!.pieceRef!;
    const [refA, refB, refC] = [await refOf(a!), await refOf(b!), await refOf(c!)];
    expect((await flows.pieces.getPieceRef(b!))!.proofsetRefcount).toBe(2);

    const result = await flows.proving.cleanupDeletedRoots({ proofSetId: 1, rootIds: [10, 11, 12] });
    expect(result).toEqual({ rootsDeleted: 3, parkedRefsDeleted: [refA] });
    expect((await h.selectAll('pdpProofsetRoots')).map((r) => [r.proofsetId, r.rootId, r.pdpPieceRefId])).toEqual([[2, 20, b]]);
    expect((await h.selectAll('parkedPieceRefs')).map((r) => r.refId).sort()).toEqual([refB, refC].sort());
    expect((await flows.pieces.getPieceRef(b!))!.proofsetRefcount).toBe(1);
    expect((await h.selectAll('pdpProofsetRootAdds'))[0]!.pdpPieceRefId).toBe(c);

    // Once proof set 2 drops its root too, piece b's ref goes.
    expect(await flows.proving.cleanupDeletedRoots({ proofSetId: 2, rootIds: [20] })).toEqual({
      rootsDeleted: 1,
      parkedRefsDeleted: [refB],
    });
  });
});
