/**
 * pruneScheduler on both backends: only finished rows older than the age go, waits that anything refers to stay
 * (deleting one would cascade into confirmed roots), and the work is done in bounded batches.
 */
import { expect, it } from 'vitest';
import { pruneScheduler } from '../../src/scheduler/retention.ts';
import type { SchedulerSql } from '../../src/scheduler/sql/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, type NewRowOf, START, taskRow } from './helpers.ts';

const DAY = 86_400_000;
const NOW = START + 30 * DAY;
const OLD = new Date(NOW - 8 * DAY);
const RECENT = new Date(NOW - 1 * DAY);
const WEEK = 7 * DAY;

function history(taskId: number, workEnd: Date): NewRowOf<'taskHistory'> {
  return { taskId, name: 'work', posted: workEnd, workStart: workEnd, workEnd, result: true, err: '', completedBySessionId: 's' };
}

function sent(sendTaskId: number, fromAddress: string, fields: Partial<NewRowOf<'messageSendsEth'>>): NewRowOf<'messageSendsEth'> {
  return {
    sendTaskId,
    fromAddress,
    toAddress: '0xC',
    sendReason: 'pdp-prove',
    unsignedTx: Buffer.from([1]),
    unsignedHash: `0xu${sendTaskId}`,
    ...fields,
  };
}

const wait = (signedTxHash: string, txStatus: string): NewRowOf<'messageWaitsEth'> => ({
  signedTxHash,
  txStatus,
  waiterMachineId: 1,
  confirmedTxHash: '',
  txSuccess: txStatus === 'confirmed' ? true : null,
});

forEachBackend('scheduler retention', (backend) => {
  it('prunes only finished rows older than the age, and never a wait that something refers to', async () => {
    const h = await harness(backend);
    h.clock.advance(NOW - START);
    await h.insert('taskHistory', [
      history(1, OLD),
      history(2, OLD),
      history(3, new Date(NOW - WEEK - 1)),
      history(4, new Date(NOW - WEEK + 1)),
      history(5, RECENT),
    ]);
    await h.insert('task', [taskRow({ id: 50, name: 'SendTransaction' })]);
    await h.insert('messageSendsEth', [
      sent(1, '0xA', { nonce: 1, sendSuccess: true, sendError: '', sendTime: OLD, signedHash: 'w1' }), // pruned
      sent(2, '0xA', { nonce: 2, sendSuccess: true, sendError: '', sendTime: OLD }), // kept: 0xA's highest nonce
      sent(3, '0xA', { nonce: 3, sendSuccess: false, sendError: 'rejected', sendTime: OLD }), // pruned: failed
      sent(4, '0xA', {}), // kept: not sent yet
      sent(7, '0xA', { nonce: 0, sendSuccess: true, sendError: '', sendTime: RECENT, signedHash: 'w10' }), // kept: recent
      sent(50, '0xB', { nonce: 0, sendSuccess: true, sendError: '', sendTime: OLD }), // kept: its task row exists
      sent(51, '0xB', { nonce: 1, sendSuccess: true, sendError: '', sendTime: OLD }), // kept: 0xB's highest nonce
    ]);
    await h.insert('messageWaitsEth', [
      wait('w1', 'confirmed'), // pruned: confirmed, unreferenced, sent long ago
      wait('w2', 'pending'),
      wait('w3', 'confirmed'), // a confirmed root refers to it
      wait('w4', 'confirmed'), // pdp_proofset_creates
      wait('w5', 'confirmed'), // pdp_proofset_root_adds
      wait('w6', 'confirmed'), // pdp_provider_registrations
      wait('w7', 'confirmed'), // pdp_proof_sets.challenge_request_msg_hash (no FK, Prove scheduling joins on it)
      wait('w8', 'confirmed'), // rail_settlement_waits
      wait('w9', 'confirmed'), // withdrawal_waits
      wait('w10', 'confirmed'), // its send is recent
      wait('w11', 'confirmed'), // pruned: no send row left, so old
    ]);
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: 'w4', service: 'storacha', challengeRequestMsgHash: 'w7' }]);
    await h.insert('pdpProofsetRoots', [
      { proofsetId: 1, rootId: 0, subrootOffset: 0, root: 'bafyroot', addMessageHash: 'w3', subroot: 'bafysub', subrootSize: 128 },
    ]);
    await h.insert('pdpProofsetCreates', [{ createMessageHash: 'w4', ok: true, service: 'storacha' }]);
    await h.insert('pdpProofsetRootAdds', [
      { proofsetId: 1, addMessageHash: 'w5', subrootOffset: 0, root: 'bafyroot2', subroot: 'bafysub2', addMessageOk: true },
    ]);
    await h.insert('pdpProviderRegistrations', [{ registerMessageHash: 'w6', service: 'storacha' }]);
    await h.insert('railSettlementWaits', [{ railId: '7', signedTxHash: 'w8', createdAt: OLD }]);
    await h.insert('withdrawalWaits', [{ signedTxHash: 'w9', createdAt: OLD }]);

    const result = await pruneScheduler(h.store, { olderThanMs: WEEK, clock: h.clock });
    expect(result).toMatchObject({ taskHistory: 3, messageSends: 2, messageWaits: 2, cutoff: new Date(NOW - WEEK) });

    expect((await h.selectAll('taskHistory')).map((r) => r.taskId).sort()).toEqual([4, 5]);
    expect((await h.selectAll('messageSendsEth')).map((r) => r.sendTaskId).sort((a, b) => a - b)).toEqual([2, 4, 7, 50, 51]);
    expect((await h.selectAll('messageWaitsEth')).map((r) => r.signedTxHash).sort()).toEqual(
      ['w10', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9'].sort(),
    );
    // Nothing cascaded.
    expect(await h.selectAll('pdpProofsetRoots')).toHaveLength(1);
    expect(await h.selectAll('pdpProofsetCreates')).toHaveLength(1);
    expect(await h.selectAll('pdpProofsetRootAdds')).toHaveLength(1);
    expect(await h.selectAll('pdpProviderRegistrations')).toHaveLength(1);

    expect(await pruneScheduler(h.store, { olderThanMs: WEEK, clock: h.clock })).toMatchObject({
      taskHistory: 0,
      messageSends: 0,
      messageWaits: 0,
    });
  });

  it('deletes in batches of batchSize rows, one transaction each, until a batch comes back short', async () => {
    const h = await harness(backend);
    h.clock.advance(NOW - START);
    await h.insert('taskHistory', Array.from({ length: 2_500 }, (_, i) => history(i, OLD)));
    await h.insert('taskHistory', Array.from({ length: 10 }, (_, i) => history(10_000 + i, RECENT)));
    let transactions = 0;
    const counting: SchedulerSql = {
      transaction: (fn) => {
        transactions++;
        return h.sql.transaction(fn);
      },
      classifyError: (e) => h.sql.classifyError(e),
    };
    const result = await pruneScheduler(counting, { olderThanMs: WEEK, batchSize: 1_000, clock: h.clock });
    // waits: 1 (empty), sends: 1 (empty), history: 1,000 + 1,000 + 500.
    expect(result).toMatchObject({ taskHistory: 2_500, messageSends: 0, messageWaits: 0, batches: 5 });
    expect(transactions).toBe(5);
    expect(await h.selectAll('taskHistory')).toHaveLength(10);
  });

  it('refuses a batch size below 1 and a negative age', async () => {
    const h = await harness(backend);
    await expect(pruneScheduler(h.store, { olderThanMs: WEEK, batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(pruneScheduler(h.store, { olderThanMs: -1 })).rejects.toThrow(/olderThanMs/);
  });
});
