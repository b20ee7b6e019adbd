/**
 * PDP proof set creation (src/scheduler/pdp/proof-sets.ts, data-model §8.2) on both backends, checked by the rows it
 * leaves: the request, the trigger-set ok, the materialisation (insert + proofset_created in one transaction,
 * idempotent), the status reads and the delete cascade.
 */
import { expect, it } from 'vitest';
import { pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, type Harness, START } from './helpers.ts';

const confirmation = (signedTxHash: string, success: boolean) => ({
  signedTxHash,
  blockNumber: 77,
  txHash: signedTxHash,
  txData: { hash: signedTxHash },
  receipt: { status: success ? 1 : 0, logs: [{ data: '0x2a' }] },
  success,
});

async function confirmedCreate(h: Harness, hash: string, success = true) {
  const flows = pdpFlows(h.sql, { clock: h.clock });
  await flows.proofSets.requestCreate({ createMessageHash: hash });
  await flows.messages.confirmWait(confirmation(hash, success));
  return flows;
}

forEachBackend('pdp proof sets', (backend) => {
  it('requestCreate writes the pending wait and the create row in one transaction', async () => {
    const h = await harness(backend);
    const { proofSets } = pdpFlows(h.sql, { clock: h.clock });
    h.clock.advance(3_000);
    await proofSets.requestCreate({ createMessageHash: '0xcreate' });
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([
      { signedTxHash: '0xcreate', txStatus: 'pending', confirmedTxHash: '', txSuccess: null },
    ]);
    const [create] = await h.selectAll('pdpProofsetCreates');
    expect(create).toMatchObject({ createMessageHash: '0xcreate', ok: null, proofsetCreated: false, service: 'storacha' });
    expect(create!.createdAt.getTime()).toBe(START + 3_000);

    // The create insert failing (here: no valid created_at) rolls the wait back.
    const broken = pdpFlows(h.sql, { clock: { now: () => Number.NaN } }).proofSets;
    await expect(broken.requestCreate({ createMessageHash: '0xbroken' })).rejects.toThrow();
    expect((await h.selectAll('messageWaitsEth')).map((w) => w.signedTxHash)).toEqual(['0xcreate']);
  });

  it('the status trigger makes a create ready only when its tx confirmed successfully', async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    await confirmedCreate(h, '0xbad', false);
    await flows.proofSets.requestCreate({ createMessageHash: '0xpending' });
    const ready = await flows.proofSets.readyToMaterialise();
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({
      createMessageHash: '0xgood',
      ok: true,
      proofsetCreated: false,
      txReceipt: { status: 1, logs: [{ data: '0x2a' }] },
    });
    const oks = Object.fromEntries((await h.selectAll('pdpProofsetCreates')).map((c) => [c.createMessageHash, c.ok]));
    expect(oks).toEqual({ '0xgood': true, '0xbad': false, '0xpending': null });
  });

  it('materialise inserts the proof set with the chain id and sets proofset_created, once', async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    expect(
      await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 42, provingPeriod: 2880, challengeWindow: 60 }),
    ).toEqual({ status: 'created' });
    expect(await h.selectAll('pdpProofSets')).toEqual([
      {
        id: 42,
        prevChallengeRequestEpoch: null,
        challengeRequestTaskId: null,
        challengeRequestMsgHash: null,
        provingPeriod: 2880,
        challengeWindow: 60,
        proveAtEpoch: null,
        initReady: false,
        createMessageHash: '0xgood',
        service: 'storacha',
      },
    ]);
    expect((await h.selectAll('pdpProofsetCreates'))[0]!.proofsetCreated).toBe(true);
    expect(await flows.proofSets.readyToMaterialise()).toEqual([]);
    // Again: nothing new.
    expect(
      await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 42, provingPeriod: 2880, challengeWindow: 60 }),
    ).toEqual({ status: 'already-created' });
    expect(await h.selectAll('pdpProofSets')).toHaveLength(1);
  });

  it("materialise is idempotent over Piri's crash window: a proof set inserted without the flag is accepted", async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    // Piri's first statement committed, its second never ran.
    await h.insert('pdpProofSets', [{ id: 42, createMessageHash: '0xgood', service: 'storacha', provingPeriod: 10 }]);
    expect((await flows.proofSets.readyToMaterialise()).map((c) => c.createMessageHash)).toEqual(['0xgood']);
    expect(
      await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 42, provingPeriod: 2880, challengeWindow: 60 }),
    ).toEqual({ status: 'already-created' });
    expect(await h.selectAll('pdpProofSets')).toMatchObject([{ id: 42, provingPeriod: 10 }]);
    expect((await h.selectAll('pdpProofsetCreates'))[0]!.proofsetCreated).toBe(true);
    expect(await flows.proofSets.readyToMaterialise()).toEqual([]);
  });

  it('materialise refuses what is not ready, unknown, or an id owned by another create, changing nothing', async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    await confirmedCreate(h, '0xbad', false);
    await flows.proofSets.requestCreate({ createMessageHash: '0xpending' });
    await h.insert('pdpProofSets', [{ id: 7, createMessageHash: '0xsomeone-else', service: 'storacha' }]);
    const params = { provingPeriod: 1, challengeWindow: 1 };
    expect(await flows.proofSets.materialise({ createMessageHash: '0xbad', proofSetId: 8, ...params })).toEqual({
      status: 'not-ready',
      ok: false,
    });
    expect(await flows.proofSets.materialise({ createMessageHash: '0xpending', proofSetId: 8, ...params })).toEqual({
      status: 'not-ready',
      ok: null,
    });
    expect(await flows.proofSets.materialise({ createMessageHash: '0xnope', proofSetId: 8, ...params })).toEqual({
      status: 'missing',
    });
    const conflict = await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 7, ...params });
    expect(conflict).toMatchObject({ status: 'id-conflict', existing: { id: 7, createMessageHash: '0xsomeone-else' } });
    expect((await h.selectAll('pdpProofSets')).map((p) => p.id)).toEqual([7]);
    expect((await h.selectAll('pdpProofsetCreates')).every((c) => !c.proofsetCreated)).toBe(true);
  });

  it('createStatus, get and list read the create, its wait and its proof set', async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    expect(await flows.proofSets.createStatus('0xnope')).toBeUndefined();
    const before = await flows.proofSets.createStatus('0xgood');
    expect(before).toMatchObject({
      create: { createMessageHash: '0xgood', ok: true, proofsetCreated: false, createdAtMs: START },
      wait: { txStatus: 'confirmed', txSuccess: true, confirmedBlockNumber: 77 },
      proofSet: undefined,
    });
    await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 3, provingPeriod: 5, challengeWindow: 2 });
    await h.insert('pdpProofSets', [{ id: 9, createMessageHash: '0xx', service: 'other' }]);
    expect((await flows.proofSets.createStatus('0xgood'))!.proofSet).toMatchObject({ id: 3, provingPeriod: 5 });
    expect(await flows.proofSets.get(3)).toMatchObject({ id: 3, challengeWindow: 2, initReady: false });
    expect(await flows.proofSets.get(4)).toBeUndefined();
    expect((await flows.proofSets.list()).map((p) => p.id)).toEqual([3]);
    expect((await flows.proofSets.list('other')).map((p) => p.id)).toEqual([9]);
  });

  it('delete cascades to prove tasks, roots (refcount trigger) and root_adds', async () => {
    const h = await harness(backend);
    const flows = await confirmedCreate(h, '0xgood');
    await flows.proofSets.materialise({ createMessageHash: '0xgood', proofSetId: 3, provingPeriod: 5, challengeWindow: 2 });
    const piece = await flows.pieces.parkPiece({ pieceCid: 'bafypiece', paddedSize: 128, rawSize: 100, dataUrl: 'pdpstore://z' });
    await h.insert('task', [{ id: 50, name: 'PDPProve', postedTime: new Date(START), addedBy: 't', retries: 0 }]);
    await h.insert('pdpProveTasks', [{ proofsetId: 3, taskId: 50 }]);
    await h.insert('pdpProofsetRoots', [
      { proofsetId: 3, rootId: 1, subrootOffset: 0, root: 'r', addMessageHash: '0xgood', subroot: 's', pdpPieceRefId: piece.pdpPieceRefId },
    ]);
    await h.insert('pdpProofsetRootAdds', [{ proofsetId: 3, addMessageHash: '0xgood', subrootOffset: 0, root: 'r2', subroot: 's' }]);
    expect((await flows.pieces.getPieceRef(piece.pdpPieceRefId))!.proofsetRefcount).toBe(1);

    expect(await flows.proofSets.delete(3)).toBe(true);
    expect(await flows.proofSets.delete(3)).toBe(false);
    expect(await h.selectAll('pdpProofSets')).toEqual([]);
    expect(await h.selectAll('pdpProveTasks')).toEqual([]);
    expect(await h.selectAll('pdpProofsetRoots')).toEqual([]);
    expect(await h.selectAll('pdpProofsetRootAdds')).toEqual([]);
    expect((await flows.pieces.getPieceRef(piece.pdpPieceRefId))!.proofsetRefcount).toBe(0);
    expect((await h.selectAll('task')).map((t) => t.id)).toEqual([50]);
    expect(await h.selectAll('pdpProofsetCreates')).toHaveLength(1);
  });
});
