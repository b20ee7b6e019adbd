/**
 * "Safe beside Piri" (issue 14), Postgres: Piri v0.2.4 started on a piri-db database runs its trigger script
 * (test/support/piri-trigger-script.ts) under search_path=scheduler. piri-db's flows that rely on the triggers
 * (root adds and proof set creates confirmed by confirmWait, the refcount kept by root inserts) must keep working,
 * in the running process and after a restart, however often Piri starts.
 */
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { PIRI_POSTGRES_TRIGGER_SCRIPT } from '../support/piri-trigger-script.ts';
import { harness } from './helpers.ts';

/** Piri's start: its scheduler pool sets search_path=scheduler and runs the script as one Exec. */
async function runPiriTriggerScript(url: string): Promise<void> {
  const piri = postgres(url, { max: 1, onnotice: () => {}, connection: { search_path: 'scheduler' } });
  try {
    await piri.unsafe(PIRI_POSTGRES_TRIGGER_SCRIPT).simple();
  } finally {
    await piri.end();
  }
}

const confirmation = (signedTxHash: string) => ({
  signedTxHash,
  blockNumber: 10,
  txHash: signedTxHash,
  txData: {},
  receipt: { status: 1, pieceIds: [100] },
  success: true,
});

it("root adds, creates and confirmations work after Piri's trigger script, in the same process and after a restart", async () => {
  const h = await harness('postgres');
  const url = h.config.database.type === 'postgres' ? h.config.database.postgres.url : '';
  await runPiriTriggerScript(url);
  await runPiriTriggerScript(url); // every Piri start runs it again

  const flows = pdpFlows(h.sql, { clock: h.clock });
  await h.insert('pdpProofSets', [{ id: 7, createMessageHash: '0xcreate7', service: 'storacha' }]);
  const { pdpPieceRefId } = await flows.pieces.parkPiece({ pieceCid: 'bafka', paddedSize: 128, rawSize: 127, dataUrl: 'pdpstore://a' });
  await flows.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd', roots: [{ root: 'bafkr', subroots: [{ subroot: 'bafka', paddedSize: 128, pdpPieceRefId }] }] });
  expect(await flows.messages.confirmWait(confirmation('0xadd'))).toBe(true);
  expect((await h.selectAll('pdpProofsetRootAdds')).map((a) => a.addMessageOk)).toEqual([true]);
  expect(await flows.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd', pieceIds: [100] })).toEqual({ inserted: 1, removed: 1 });
  expect((await flows.pieces.getPieceRef(pdpPieceRefId))!.proofsetRefcount).toBe(1);

  await flows.proofSets.requestCreate({ createMessageHash: '0xcreate' });
  expect(await flows.messages.confirmWait(confirmation('0xcreate'))).toBe(true);
  expect((await flows.proofSets.readyToMaterialise()).map((c) => c.createMessageHash)).toEqual(['0xcreate']);

  // A restart boots (the triggers are where they were) and the flows still work.
  const dbs = await openDatabases(h.config);
  try {
    const again = pdpFlows(dbs.scheduler, { clock: h.clock });
    await again.roots.requestAdd({ proofSetId: 7, addMessageHash: '0xadd2', roots: [{ root: 'bafkr2', subroots: [{ subroot: 'bafka', paddedSize: 128, pdpPieceRefId }] }] });
    expect(await again.messages.confirmWait(confirmation('0xadd2'))).toBe(true);
    expect(await again.roots.materialise({ proofSetId: 7, addMessageHash: '0xadd2', pieceIds: [101] })).toEqual({ inserted: 1, removed: 1 });
    expect((await again.pieces.getPieceRef(pdpPieceRefId))!.proofsetRefcount).toBe(2);
  } finally {
    await dbs.close();
  }
});
