/**
 * PDP root additions (src/scheduler/pdp/roots.ts, data-model §8.4) on both backends: subroot lookup, the add request,
 * the trigger-set add_message_ok, the root-add watcher step (roots + refcount trigger + root_adds deleted), the
 * removal of failed adds, the duplicate checks and the admin repair, checked by the rows they leave.
 */
import { expect, it } from 'vitest';
import { type PdpFlows, pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, type Harness } from './helpers.ts';

const confirmation = (signedTxHash: string, success: boolean) => ({
  signedTxHash,
  blockNumber: 10,
  txHash: signedTxHash,
  txData: {},
  receipt: { status: success ? 1 : 0, pieceIds: [100, 101] },
  success,
});

interface Setup {
  readonly flows: PdpFlows;
  /** pdp_piecerefs ids by piece CID. */
  readonly refs: Record<string, number>;
}

/** Proof set 7 (fresh: proving fields NULL) and three parked subroot pieces of sizes 128, 256, 512. */
async function setup(h: Harness): Promise<Setup> {
  const flows = pdpFlows(h.sql, { clock: h.clock });
  await h.insert('pdpProofSets', [{ id: 7, createMessageHash: '0xcreate', service: 'storacha' }]);
  const refs: Record<string, number> = {};
  for (const [cid, size] of [['bafka', 128], ['bafkb', 256], ['bafkc', 512]] as const) {
    refs[cid] = (await flows.pieces.parkPiece({ pieceCid: cid, paddedSize: size, rawSize: size - 1, dataUrl: `pdpstore://${cid}` }))
      .pdpPieceRefId;
  }
  return { flows, refs };
}

/** Root r1 = subroots a + b, root r2 = subroot c. */
const twoRoots = (refs: Record<string, number>) => [
  {
    root: 'bafkr1',
    subroots: [
      { subroot: 'bafka', paddedSize: 128, pdpPieceRefId: refs.bafka! },
      { subroot: 'bafkb', paddedSize: 256, pdpPieceRefId: refs.bafkb! },
    ],
  },
  { root: 'bafkr2', subroots: [{ subroot: 'bafkc', paddedSize: 512, pdpPieceRefId: refs.bafkc! }] },
];

forEachBackend('pdp roots', (backend) => {
  it('subrootPieces joins pdp_piecerefs, parked_piece_refs and parked_pieces for the service and CIDs', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    await flows.pieces.parkPiece({ pieceCid: 'bafka', paddedSize: 128, rawSize: 127, dataUrl: 'pdpstore://x', service: 'other' });
    const found = await flows.roots.subrootPieces({ pieceCids: ['bafkc', 'bafka', 'bafknone'] });
    const pieceRefOf = async (id: number) => (await flows.pieces.getPieceRef(id))!.pieceRef;
    expect(found).toEqual([
      { pieceCid: 'bafka', pdpPieceRefId: refs.bafka, pieceRef: await pieceRefOf(refs.bafka!), paddedSize: 128, rawSize: 127 },
      { pieceCid: 'bafkc', pdpPieceRefId: refs.bafkc, pieceRef: await pieceRefOf(refs.bafkc!), paddedSize: 512, rawSize: 511 },
    ]);
    expect((await flows.roots.subrootPieces({ pieceCids: ['bafka'], service: 'other' })).map((p) => p.pdpPieceRefId)).not.toContain(
      refs.bafka,
    );
    expect(await flows.roots.subrootPieces({ pieceCids: [] })).toEqual([]);
  });

  it('requestAdd: the pending wait, init_ready, one root_add per subroot with index and cumulative offset', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    expect(await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd', roots: twoRoots(refs) })).toEqual({
      initReady: true,
      rootAdds: 3,
      failedAddsRemoved: 0,
    });
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([{ signedTxHash: '0xadd', txStatus: 'pending' }]);
    expect((await h.selectAll('pdpProofSets'))[0]!.initReady).toBe(true);
    const adds = (await h.selectAll('pdpProofsetRootAdds')).sort((a, b) => a.root.localeCompare(b.root) || a.subrootOffset - b.subrootOffset);
    expect(adds).toEqual([
      { proofsetId: 7, addMessageHash: '0xadd', subrootOffset: 0, root: 'bafkr1', addMessageOk: null, addMessageIndex: 0, subroot: 'bafka', subrootSize: 128, pdpPieceRefId: refs.bafka },
      { proofsetId: 7, addMessageHash: '0xadd', subrootOffset: 128, root: 'bafkr1', addMessageOk: null, addMessageIndex: 0, subroot: 'bafkb', subrootSize: 256, pdpPieceRefId: refs.bafkb },
      { proofsetId: 7, addMessageHash: '0xadd', subrootOffset: 0, root: 'bafkr2', addMessageOk: null, addMessageIndex: 1, subroot: 'bafkc', subrootSize: 512, pdpPieceRefId: refs.bafkc },
    ]);
  });

  it('requestAdd leaves init_ready alone once proving started, and writes nothing for an unknown proof set', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    await h.insert('pdpProofSets', [{ id: 8, createMessageHash: '0xc8', service: 'storacha', proveAtEpoch: 100 }]);
    const roots = twoRoots(refs).slice(1);
    expect((await flows.roots.requestAdd({ proofSetId: 8, addMessageHash: '0xadd8', roots })).initReady).toBe(false);
    expect((await flows.proofSets.get(8))!.initReady).toBe(false);
    await expect(flows.roots.requestAdd({ proofSetId: 99, addMessageHash: '0xadd99', roots })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd7', roots: [] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect((await h.selectAll('messageWaitsEth')).map((w) => w.signedTxHash)).toEqual(['0xadd8']);
    expect(await h.selectAll('pdpProofsetRootAdds')).toHaveLength(1);
  });

  it('the watcher step: confirmed adds become roots (root_id by add index, refcount trigger) and are deleted', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd', roots: twoRoots(refs) });
    // Not confirmed yet: nothing is ready, the step does nothing.
    expect(await flows.roots.readyToMaterialise()).toEqual([]);
    expect(await flows.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd', pieceIds: [100, 101] })).toEqual({
      inserted: 0,
      removed: 0,
    });

    await flows.messages.confirmWait(confirmation('0xadd', true));
    expect((await h.selectAll('pdpProofsetRootAdds')).every((a) => a.addMessageOk === true)).toBe(true);
    expect(await flows.roots.readyToMaterialise()).toEqual([
      { proofSetId: 7, addMessageHash: '0xadd', txReceipt: { status: 1, pieceIds: [100, 101] } },
    ]);
    // A piece id missing for an index: rejected, nothing changed.
    await expect(flows.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd', pieceIds: [100] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await h.selectAll('pdpProofsetRoots')).toEqual([]);
    expect(await h.selectAll('pdpProofsetRootAdds')).toHaveLength(3);

    expect(await flows.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd', pieceIds: [100, 101] })).toEqual({
      inserted: 3,
      removed: 3,
    });
    expect(await h.selectAll('pdpProofsetRootAdds')).toEqual([]);
    expect(await flows.roots.list(7)).toEqual([
      { proofsetId: 7, rootId: 100, subrootOffset: 0, root: 'bafkr1', addMessageHash: '0xadd', addMessageIndex: 0, subroot: 'bafka', subrootOffsetVal: 0, subrootSize: 128, pdpPieceRefId: refs.bafka },
      { proofsetId: 7, rootId: 100, subrootOffset: 128, root: 'bafkr1', addMessageHash: '0xadd', addMessageIndex: 0, subroot: 'bafkb', subrootOffsetVal: 0, subrootSize: 256, pdpPieceRefId: refs.bafkb },
      { proofsetId: 7, rootId: 101, subrootOffset: 0, root: 'bafkr2', addMessageHash: '0xadd', addMessageIndex: 1, subroot: 'bafkc', subrootOffsetVal: 0, subrootSize: 512, pdpPieceRefId: refs.bafkc },
    ]);
    for (const cid of ['bafka', 'bafkb', 'bafkc']) {
      expect((await flows.pieces.getPieceRef(refs[cid]!))!.proofsetRefcount).toBe(1);
    }
    expect(await flows.roots.readyToMaterialise()).toEqual([]);
  });

  it('duplicate checks: pending adds, then confirmed roots, each with its add message hash', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    expect(await flows.roots.duplicates({ proofSetId: 7, roots: ['bafkr1', 'bafkr2'] })).toEqual({ confirmed: [], pending: [] });
    await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd', roots: twoRoots(refs) });
    expect(await flows.roots.duplicates({ proofSetId: 7, roots: ['bafkr1', 'bafkrX'] })).toEqual({
      confirmed: [],
      pending: [{ root: 'bafkr1', addMessageHash: '0xadd' }],
    });
    expect(await flows.roots.duplicates({ proofSetId: 8, roots: ['bafkr1'] })).toEqual({ confirmed: [], pending: [] });
    await flows.messages.confirmWait(confirmation('0xadd', true));
    await flows.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd', pieceIds: [100, 101] });
    expect(await flows.roots.duplicates({ proofSetId: 7, roots: ['bafkr1', 'bafkr2'] })).toEqual({
      confirmed: [
        { root: 'bafkr1', addMessageHash: '0xadd' },
        { root: 'bafkr2', addMessageHash: '0xadd' },
      ],
      pending: [],
    });
  });

  it('fix: adds whose tx failed stop blocking the root; removeFailedAdds deletes them, re-adding replaces them', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xfailed', roots: twoRoots(refs) });
    await flows.messages.confirmWait(confirmation('0xfailed', false));
    expect((await h.selectAll('pdpProofsetRootAdds')).map((a) => a.addMessageOk)).toEqual([false, false, false]);
    expect(await flows.roots.readyToMaterialise()).toEqual([]);
    expect((await flows.roots.duplicates({ proofSetId: 7, roots: ['bafkr1'] })).pending).toEqual([]);

    // Re-adding r1 with a new tx removes r1's failed adds in the same transaction (same primary key otherwise).
    const again = await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xretry', roots: twoRoots(refs).slice(0, 1) });
    expect(again).toMatchObject({ rootAdds: 2, failedAddsRemoved: 2 });
    const adds = await h.selectAll('pdpProofsetRootAdds');
    expect(adds.filter((a) => a.root === 'bafkr1').map((a) => a.addMessageHash)).toEqual(['0xretry', '0xretry']);
    expect(adds.filter((a) => a.root === 'bafkr2').map((a) => a.addMessageOk)).toEqual([false]);

    await h.insert('pdpProofSets', [{ id: 8, createMessageHash: '0xc8', service: 'storacha' }]);
    await h.insert('pdpProofsetRootAdds', [
      { proofsetId: 8, addMessageHash: '0xfailed', subrootOffset: 0, root: 'bafkr9', subroot: 'bafka', addMessageOk: false },
    ]);
    expect(await flows.roots.removeFailedAdds({ proofSetId: 7 })).toBe(1);
    expect((await h.selectAll('pdpProofsetRootAdds')).map((a) => `${a.proofsetId}:${a.root}`).sort()).toEqual([
      '7:bafkr1',
      '7:bafkr1',
      '8:bafkr9',
    ]);
    expect(await flows.roots.removeFailedAdds()).toBe(1);
    expect(await flows.roots.removeFailedAdds()).toBe(0);
    expect((await h.selectAll('pdpProofsetRootAdds')).map((a) => a.addMessageHash)).toEqual(['0xretry', '0xretry']);
  });

  it('repairRoot moves one root from root_adds to roots and confirms its pending add message (triggers fire)', async () => {
    const h = await harness(backend);
    const { flows, refs } = await setup(h);
    await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd', roots: twoRoots(refs) });
    expect(await flows.roots.repairRoot({ proofSetId: 7, root: 'bafkr1', rootId: 55 })).toEqual({
      inserted: 2,
      removed: 2,
      confirmed: ['0xadd'],
    });
    expect((await flows.roots.list(7)).map((r) => [r.rootId, r.subrootOffset, r.subroot])).toEqual([
      [55, 0, 'bafka'],
      [55, 128, 'bafkb'],
    ]);
    expect(await flows.messages.getWait('0xadd')).toMatchObject({ txStatus: 'confirmed', txSuccess: true });
    // The other root of that message is now ok (status trigger) and waits for the watcher.
    expect(await h.selectAll('pdpProofsetRootAdds')).toMatchObject([{ root: 'bafkr2', addMessageOk: true }]);
    expect((await flows.pieces.getPieceRef(refs.bafka!))!.proofsetRefcount).toBe(1);
  });

  it('recordRemoval writes the delete-root pending wait once and nothing else', async () => {
    const h = await harness(backend);
    const { flows } = await setup(h);
    expect(await flows.roots.recordRemoval({ signedTxHash: '0xdelete' })).toBe(true);
    expect(await flows.roots.recordRemoval({ signedTxHash: '0xdelete' })).toBe(false);
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([{ signedTxHash: '0xdelete', txStatus: 'pending' }]);
    expect(await h.selectAll('pdpProofsetRoots')).toEqual([]);
  });
});
