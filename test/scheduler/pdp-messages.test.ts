/**
 * PDP sending and watching (src/scheduler/pdp/messages.ts, data-model §8.1 and §8.5) on both backends: every operation
 * is checked by the rows it leaves, read back through the store's drizzle instance after the operation settled.
 */
import { expect, it } from 'vitest';
import { PdpError, pdpFlows, SEND_TRANSACTION_TASK } from '../../src/scheduler/pdp/index.ts';
import type { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, type Harness, START } from './helpers.ts';

const sendRequest = (overrides: Record<string, unknown> = {}) => ({
  fromAddress: '0xSender',
  toAddress: '0xContract',
  sendReason: 'pdp-addroots',
  unsignedTx: new Uint8Array([1, 2, 3]),
  unsignedHash: '0xunsigned',
  ...overrides,
});

function sendEngine(h: Harness): TaskEngine {
  return h.engine().register({ name: SEND_TRANSACTION_TASK, maxFailures: 1000, maxInFlight: 4, do: () => ({ done: true }) });
}

async function enqueue(h: Harness, engine: TaskEngine, overrides: Record<string, unknown> = {}): Promise<number> {
  const result = await pdpFlows(h.sql, { clock: h.clock }).messages.enqueueSend(engine, sendRequest(overrides));
  if (result.status !== 'added') throw new Error(`expected added, got ${result.status}`);
  return result.taskId;
}

const confirmation = (signedTxHash: string, success: boolean) => ({
  signedTxHash,
  blockNumber: 1234,
  txHash: signedTxHash,
  txData: { hash: signedTxHash, nonce: 3 },
  receipt: { status: success ? 1 : 0, logs: [{ topics: ['0xa'] }] },
  success,
});

forEachBackend('pdp messages: sending', (backend) => {
  it('enqueueSend adds a SendTransaction task and its message_sends_eth row (send_task_id = task id) in one transaction', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const taskId = await enqueue(h, engine);
    const [task] = await h.selectAll('task');
    expect(task).toMatchObject({ id: taskId, name: 'SendTransaction', retries: 0, sessionId: null });
    const [send] = await h.selectAll('messageSendsEth');
    expect(send).toMatchObject({
      sendTaskId: taskId,
      fromAddress: '0xSender',
      toAddress: '0xContract',
      sendReason: 'pdp-addroots',
      unsignedHash: '0xunsigned',
      nonce: null,
      signedTx: null,
      signedHash: null,
      sendTime: null,
      sendSuccess: null,
      sendError: null,
    });
    expect([...send!.unsignedTx]).toEqual([1, 2, 3]);

    // The insert failing rolls the task back too.
    const messages = pdpFlows(h.sql).messages;
    await expect(messages.enqueueSend(engine, sendRequest({ fromAddress: null }))).rejects.toThrow();
    expect((await h.selectAll('task')).map((t) => t.id)).toEqual([taskId]);
    expect(await h.selectAll('messageSendsEth')).toHaveLength(1);
  });

  it('the nonce lock: taken when free, kept by its holder, refused to another live task, released by the holder only', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const [a, b] = [await enqueue(h, engine), await enqueue(h, engine)];
    const { messages } = pdpFlows(h.sql, { clock: h.clock });
    h.clock.advance(10);
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: a })).toEqual({ acquired: true });
    h.clock.advance(10);
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: b })).toEqual({ acquired: false });
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: a })).toEqual({ acquired: true });
    const [lock] = await h.selectAll('messageSendEthLocks');
    expect(lock).toMatchObject({ fromAddress: '0xSender', taskId: a });
    expect(lock!.claimedAt.getTime()).toBe(START + 20);
    expect(await messages.nonceLockHolder('0xSender')).toEqual({ taskId: a, claimedAtMs: START + 20 });
    // Another sender's lock is independent.
    expect(await messages.acquireNonceLock({ fromAddress: '0xOther', taskId: b })).toEqual({ acquired: true });

    expect(await messages.releaseNonceLock({ fromAddress: '0xSender', taskId: b })).toBe(false);
    expect(await messages.releaseNonceLock({ fromAddress: '0xSender', taskId: a })).toBe(true);
    expect(await messages.nonceLockHolder('0xSender')).toBeUndefined();
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: b })).toEqual({ acquired: true });
  });

  it('stale-lock rule: a lock whose holder task row is gone is taken over (Piri waited forever)', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const [a, b, c] = [await enqueue(h, engine), await enqueue(h, engine), await enqueue(h, engine)];
    const { messages } = pdpFlows(h.sql, { clock: h.clock });
    expect((await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: a })).acquired).toBe(true);
    // a's task completes without having released its lock (e.g. the release failed and the row was deleted anyway).
    await h.raw('DELETE FROM task WHERE id = ?', [a]);
    h.clock.advance(500);
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: b })).toEqual({ acquired: true, takenOverFrom: a });
    const [lock] = await h.selectAll('messageSendEthLocks');
    expect(lock).toMatchObject({ fromAddress: '0xSender', taskId: b });
    expect(lock!.claimedAt.getTime()).toBe(START + 500);
    // b is alive: c cannot take it over.
    expect(await messages.acquireNonceLock({ fromAddress: '0xSender', taskId: c })).toEqual({ acquired: false });
    expect((await h.selectAll('messageSendEthLocks'))[0]!.taskId).toBe(b);
  });

  it('assignNonce: max(pending, highest successful nonce of the sender + 1), signed once, reused on a re-run', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const { messages } = pdpFlows(h.sql, { clock: h.clock });
    const sign = (nonce: number) => ({ signedTx: new Uint8Array([nonce]), signedHash: `0xsigned${nonce}` });

    const first = await enqueue(h, engine);
    expect(await messages.assignNonce({ taskId: first, pendingNonce: 4, sign })).toEqual({
      nonce: 4,
      signedTx: new Uint8Array([4]),
      signedHash: '0xsigned4',
      reused: false,
    });
    await messages.recordSend({ taskId: first });

    // A failed send with a higher nonce and another sender's successful send do not count.
    const failed = await enqueue(h, engine);
    await messages.assignNonce({ taskId: failed, pendingNonce: 9, sign });
    await messages.recordSend({ taskId: failed, error: 'nonce too low' });
    const other = await enqueue(h, engine, { fromAddress: '0xOther' });
    await messages.assignNonce({ taskId: other, pendingNonce: 50, sign });
    await messages.recordSend({ taskId: other });

    const second = await enqueue(h, engine);
    expect((await messages.assignNonce({ taskId: second, pendingNonce: 2, sign })).nonce).toBe(5);
    await messages.recordSend({ taskId: second });
    const third = await enqueue(h, engine);
    expect((await messages.assignNonce({ taskId: third, pendingNonce: 20, sign })).nonce).toBe(20);

    // A re-run finds the stored nonce and signed tx: the signer is not called and nothing changes.
    const rerun = await messages.assignNonce({
      taskId: third,
      pendingNonce: 99,
      sign: () => {
        throw new Error('must not sign again');
      },
    });
    expect(rerun).toMatchObject({ nonce: 20, signedHash: '0xsigned20', reused: true });
    expect([...rerun.signedTx]).toEqual([20]);
    const row = (await h.selectAll('messageSendsEth')).find((s) => s.sendTaskId === third)!;
    expect(row).toMatchObject({ nonce: 20, signedHash: '0xsigned20' });
    expect([...row.signedTx!]).toEqual([20]);

    await expect(messages.assignNonce({ taskId: 9999, pendingNonce: 0, sign })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(messages.assignNonce({ taskId: third, pendingNonce: -1, sign })).rejects.toBeInstanceOf(PdpError);
    // A signer failure rolls the transaction back: no nonce stored.
    const fourth = await enqueue(h, engine);
    await expect(
      messages.assignNonce({
        taskId: fourth,
        pendingNonce: 0,
        sign: () => {
          throw new Error('hsm offline');
        },
      }),
    ).rejects.toThrow('hsm offline');
    expect((await h.selectAll('messageSendsEth')).find((s) => s.sendTaskId === fourth)!.nonce).toBeNull();
  });

  it('recordSend writes send_error "" on success (never NULL), the error text on failure, and send_time', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const { messages } = pdpFlows(h.sql, { clock: h.clock });
    const sign = (nonce: number) => ({ signedTx: new Uint8Array([nonce]), signedHash: `0xsigned${nonce}` });
    const ok = await enqueue(h, engine);
    const bad = await enqueue(h, engine);
    const empty = await enqueue(h, engine);
    for (const id of [ok, bad, empty]) await messages.assignNonce({ taskId: id, pendingNonce: id, sign });
    h.clock.advance(77);
    await messages.recordSend({ taskId: ok });
    await messages.recordSend({ taskId: bad, error: 'insufficient funds' });
    await messages.recordSend({ taskId: empty, error: '' });
    const rows = new Map((await h.selectAll('messageSendsEth')).map((r) => [r.sendTaskId, r]));
    expect(rows.get(ok)).toMatchObject({ sendSuccess: true, sendError: '' });
    expect(rows.get(ok)!.sendTime!.getTime()).toBe(START + 77);
    expect(rows.get(bad)).toMatchObject({ sendSuccess: false, sendError: 'insufficient funds' });
    expect(rows.get(empty)).toMatchObject({ sendSuccess: false, sendError: 'send failed' });
    const raw = await h.raw('SELECT send_error FROM message_sends_eth WHERE send_task_id = ?', [ok]);
    expect(raw[0]!.send_error).toBe('');
    await expect(messages.recordSend({ taskId: 4242 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('sendStatus: what the waiting caller sees, including an abandoned send whose task row is gone', async () => {
    const h = await harness(backend);
    const engine = sendEngine(h);
    const { messages } = pdpFlows(h.sql, { clock: h.clock });
    const sign = (nonce: number) => ({ signedTx: new Uint8Array([nonce]), signedHash: `0xsigned${nonce}` });
    expect(await messages.sendStatus(1)).toEqual({ state: 'missing' });

    const sent = await enqueue(h, engine);
    expect(await messages.sendStatus(sent)).toEqual({ state: 'queued' });
    expect((await messages.getSend(sent))!.taskPresent).toBe(true);
    await messages.assignNonce({ taskId: sent, pendingNonce: 1, sign });
    expect(await messages.sendStatus(sent)).toEqual({ state: 'queued' });
    await messages.recordSend({ taskId: sent });
    expect(await messages.sendStatus(sent)).toEqual({ state: 'sent', signedHash: '0xsigned1' });

    const failed = await enqueue(h, engine);
    await messages.assignNonce({ taskId: failed, pendingNonce: 2, sign });
    await messages.recordSend({ taskId: failed, error: 'rejected' });
    expect(await messages.sendStatus(failed)).toEqual({ state: 'failed', error: 'rejected' });

    // Dropped after its failures: the task row is deleted, the send was never attempted.
    const dropped = await enqueue(h, engine);
    await h.raw('DELETE FROM task WHERE id = ?', [dropped]);
    expect((await messages.getSend(dropped))!.taskPresent).toBe(false);
    expect(await messages.sendStatus(dropped)).toEqual({ state: 'abandoned' });

    // Attempted without a signed hash (a row Piri's caller reports as "unexpected null values").
    const broken = await enqueue(h, engine);
    await h.raw(`UPDATE message_sends_eth SET send_success = ${backend === 'sqlite' ? 1 : 'true'}, send_error = '' WHERE send_task_id = ?`, [
      broken,
    ]);
    expect((await messages.sendStatus(broken)).state).toBe('invalid');
  });
});

forEachBackend('pdp messages: waits and the watcher', (backend) => {
  it('insertPendingWait writes pending with confirmed_tx_hash "", a duplicate fails unless ignored', async () => {
    const h = await harness(backend);
    const { messages } = pdpFlows(h.sql);
    expect(await messages.insertPendingWait({ signedTxHash: '0xa' })).toBe(true);
    expect(await h.selectAll('messageWaitsEth')).toEqual([
      {
        waiterMachineId: null,
        signedTxHash: '0xa',
        confirmedBlockNumber: null,
        confirmedTxHash: '',
        confirmedTxData: null,
        txStatus: 'pending',
        txReceipt: null,
        txSuccess: null,
      },
    ]);
    const duplicate = await messages.insertPendingWait({ signedTxHash: '0xa' }).catch((e: unknown) => e);
    expect(h.sql.classifyError(duplicate)).toBe('unique');
    expect(await messages.insertPendingWait({ signedTxHash: '0xa', ignoreExisting: true })).toBe(false);
    expect(await h.selectAll('messageWaitsEth')).toHaveLength(1);
  });

  it('claimPendingWaits marks unclaimed pending waits with waiter_machine_id 1 and lists claimed pending hashes', async () => {
    const h = await harness(backend);
    const { messages } = pdpFlows(h.sql);
    for (const hash of ['0xc', '0xa', '0xb', '0xd']) await messages.insertPendingWait({ signedTxHash: hash });
    await messages.confirmWait(confirmation('0xd', true));
    expect(await messages.claimPendingWaits({ limit: 2 })).toEqual(['0xa', '0xb']);
    const waits = new Map((await h.selectAll('messageWaitsEth')).map((w) => [w.signedTxHash, w.waiterMachineId]));
    expect(Object.fromEntries(waits)).toEqual({ '0xa': 1, '0xb': 1, '0xc': 1, '0xd': null });
    expect(await messages.claimPendingWaits()).toEqual(['0xa', '0xb', '0xc']);
  });

  it('confirmWait records the confirmation once, keeps waiter_machine_id, and confirmationOf classifies it', async () => {
    const h = await harness(backend);
    const { messages } = pdpFlows(h.sql);
    for (const hash of ['0xok', '0xfail', '0xnull']) await messages.insertPendingWait({ signedTxHash: hash });
    await messages.claimPendingWaits();
    expect(await messages.confirmationOf('0xok')).toEqual({ state: 'pending' });
    expect(await messages.confirmWait(confirmation('0xok', true))).toBe(true);
    expect(await messages.confirmWait(confirmation('0xfail', false))).toBe(true);
    const ok = (await h.selectAll('messageWaitsEth')).find((w) => w.signedTxHash === '0xok');
    expect(ok).toEqual({
      waiterMachineId: 1,
      signedTxHash: '0xok',
      confirmedBlockNumber: 1234,
      confirmedTxHash: '0xok',
      confirmedTxData: { hash: '0xok', nonce: 3 },
      txStatus: 'confirmed',
      txReceipt: { status: 1, logs: [{ topics: ['0xa'] }] },
      txSuccess: true,
    });
    // Not pending any more: a second confirmation changes nothing.
    expect(await messages.confirmWait({ ...confirmation('0xok', false), blockNumber: 9 })).toBe(false);
    expect(await messages.confirmWait(confirmation('0xmissing', true))).toBe(false);
    expect(await messages.getWait('0xok')).toMatchObject({ confirmedBlockNumber: 1234, txSuccess: true });

    expect((await messages.confirmationOf('0xok')).state).toBe('success');
    expect((await messages.confirmationOf('0xfail')).state).toBe('failed');
    expect((await messages.confirmationOf('0xmissing')).state).toBe('missing');
    await h.raw("UPDATE message_waits_eth SET tx_status = 'confirmed' WHERE signed_tx_hash = '0xnull'");
    expect((await messages.confirmationOf('0xnull')).state).toBe('invalid');
    expect(await messages.claimPendingWaits()).toEqual([]);
  });

  it('confirming a wait fires the status triggers and sets the registration ok, in the same transaction', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    await flows.proofSets.requestCreate({ createMessageHash: '0xcreate' });
    await flows.providers.register({ registerMessageHash: '0xreg' });
    await h.insert('pdpProofSets', [{ id: 5, createMessageHash: '0xcreate', service: 'storacha' }]);
    await flows.roots.requestAdd({
      proofSetId: 5,
      addMessageHash: '0xadd',
      roots: [{ root: 'bafyroot', subroots: [{ subroot: 'bafysub', paddedSize: 128, pdpPieceRefId: null }] }],
    });
    expect((await h.selectAll('pdpProofsetCreates'))[0]!.ok).toBeNull();
    expect((await h.selectAll('pdpProofsetRootAdds'))[0]!.addMessageOk).toBeNull();
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBeNull();

    await flows.messages.confirmWait(confirmation('0xcreate', true));
    await flows.messages.confirmWait(confirmation('0xadd', false));
    await flows.messages.confirmWait(confirmation('0xreg', true));
    expect((await h.selectAll('pdpProofsetCreates'))[0]!.ok).toBe(true);
    expect((await h.selectAll('pdpProofsetRootAdds'))[0]!.addMessageOk).toBe(false);
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBe(true);
  });

  it('deleteWait cascades to the creates, roots, root_adds and registrations of its hash', async () => {
    const h = await harness(backend);
    const flows = pdpFlows(h.sql, { clock: h.clock });
    await flows.proofSets.requestCreate({ createMessageHash: '0xh' });
    await flows.providers.register({ registerMessageHash: '0xother' });
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0xh', service: 'storacha' }]);
    await h.insert('pdpProofsetRoots', [
      { proofsetId: 1, rootId: 1, subrootOffset: 0, root: 'r', addMessageHash: '0xh', subroot: 's' },
    ]);
    await h.insert('pdpProofsetRootAdds', [{ proofsetId: 1, addMessageHash: '0xh', subrootOffset: 0, root: 'r2', subroot: 's' }]);
    await h.insert('pdpProviderRegistrations', [{ registerMessageHash: '0xh', service: 'storacha' }]);
    expect(await flows.messages.deleteWait('0xh')).toBe(true);
    expect(await flows.messages.deleteWait('0xh')).toBe(false);
    expect(await h.selectAll('pdpProofsetCreates')).toEqual([]);
    expect(await h.selectAll('pdpProofsetRoots')).toEqual([]);
    expect(await h.selectAll('pdpProofsetRootAdds')).toEqual([]);
    expect((await h.selectAll('pdpProviderRegistrations')).map((r) => r.registerMessageHash)).toEqual(['0xother']);
    expect((await h.selectAll('pdpProofSets')).map((p) => p.id)).toEqual([1]);
    expect((await h.selectAll('messageWaitsEth')).map((w) => w.signedTxHash)).toEqual(['0xother']);
  });
});
