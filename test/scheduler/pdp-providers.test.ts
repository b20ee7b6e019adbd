/**
 * PDP provider registration and the admin payment waits (src/scheduler/pdp/providers.ts, data-model §8.7) on both
 * backends, including the fix of Piri's never-set pdp_provider_registrations.ok (set when the wait confirms, in
 * the watcher's transaction), checked by the rows left behind.
 */
import { expect, it } from 'vitest';
import { pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, START } from './helpers.ts';

const confirmation = (signedTxHash: string, success: boolean) => ({
  signedTxHash,
  blockNumber: 3,
  txHash: signedTxHash,
  txData: {},
  receipt: { status: success ? 1 : 0 },
  success,
});

forEachBackend('pdp providers: registration', (backend) => {
  it('register writes the pending wait and the registration in one transaction; it is then in progress', async () => {
    const h = await harness(backend);
    const { providers } = pdpFlows(h.sql, { clock: h.clock });
    expect(await providers.registrationInProgress()).toBeUndefined();
    h.clock.advance(9);
    await providers.register({ registerMessageHash: '0xreg' });
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([{ signedTxHash: '0xreg', txStatus: 'pending' }]);
    const [row] = await h.selectAll('pdpProviderRegistrations');
    expect(row).toMatchObject({ registerMessageHash: '0xreg', ok: null, providerRegistered: false, providerId: null, service: 'storacha' });
    expect(row!.createdAt.getTime()).toBe(START + 9);
    expect(await providers.registrationInProgress()).toMatchObject({ registerMessageHash: '0xreg', createdAtMs: START + 9 });
    expect(await providers.registrationInProgress('other-service')).toBeUndefined();

    // The registration insert failing (no valid created_at) rolls the wait back.
    const broken = pdpFlows(h.sql, { clock: { now: () => Number.NaN } }).providers;
    await expect(broken.register({ registerMessageHash: '0xbroken' })).rejects.toThrow();
    expect((await h.selectAll('messageWaitsEth')).map((w) => w.signedTxHash)).toEqual(['0xreg']);
  });

  it('fix: confirming the wait sets ok, so the watcher registers the provider and the conflict clears', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    await providers.register({ registerMessageHash: '0xreg' });
    expect(await providers.readyToRegister()).toEqual([]);

    expect(await messages.confirmWait(confirmation('0xreg', true))).toBe(true);
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBe(true);
    expect((await providers.readyToRegister()).map((r) => r.registerMessageHash)).toEqual(['0xreg']);
    expect(await providers.registrationInProgress()).toMatchObject({ ok: true });

    expect(await providers.markRegistered({ registerMessageHash: '0xreg', providerId: 42 })).toBe(true);
    expect(await providers.markRegistered({ registerMessageHash: '0xreg', providerId: 43 })).toBe(false);
    expect(await h.selectAll('pdpProviderRegistrations')).toMatchObject([{ ok: true, providerRegistered: true, providerId: 42 }]);
    expect(await providers.readyToRegister()).toEqual([]);
    expect(await providers.registrationInProgress()).toBeUndefined();
    expect(await providers.getRegistration('0xreg')).toMatchObject({ providerId: 42 });
  });

  it('a failed registration tx sets ok false: never registered, and no longer blocks a new registration', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    await providers.register({ registerMessageHash: '0xfail' });
    await messages.confirmWait(confirmation('0xfail', false));
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBe(false);
    expect(await providers.readyToRegister()).toEqual([]);
    expect(await providers.registrationInProgress()).toBeUndefined();
    // Confirming again changes nothing (the wait is no longer pending).
    expect(await messages.confirmWait(confirmation('0xfail', true))).toBe(false);
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBe(false);
  });

  it('like the triggers, ok is only written while the registration is not yet registered', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    await providers.register({ registerMessageHash: '0xdone' });
    await h.raw(`UPDATE pdp_provider_registrations SET provider_registered = ${backend === 'sqlite' ? 1 : 'true'}`);
    await messages.confirmWait(confirmation('0xdone', true));
    expect((await h.selectAll('pdpProviderRegistrations'))[0]!.ok).toBeNull();
  });
});

forEachBackend('pdp providers: payment waits', (backend) => {
  it('rail settlement: begin, record, pending refuses, status removes the row once confirmed', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    expect(await providers.beginRailSettlement('rail-1')).toEqual({ status: 'clear', previous: undefined });
    h.clock.advance(1);
    await providers.recordRailSettlement({ railId: 'rail-1', signedTxHash: '0xs1' });
    expect(await h.selectAll('railSettlementWaits')).toEqual([{ railId: 'rail-1', signedTxHash: '0xs1', createdAt: new Date(START + 1) }]);
    expect(await h.selectAll('messageWaitsEth')).toMatchObject([{ signedTxHash: '0xs1', txStatus: 'pending' }]);

    expect(await providers.beginRailSettlement('rail-1')).toMatchObject({ status: 'pending', row: { signedTxHash: '0xs1' } });
    expect(await providers.railSettlementStatus('rail-1')).toMatchObject({ removed: false, wait: { txStatus: 'pending' } });
    expect(await h.selectAll('railSettlementWaits')).toHaveLength(1);

    await messages.confirmWait(confirmation('0xs1', true));
    expect(await providers.railSettlementStatus('rail-1')).toMatchObject({ removed: true, wait: { txStatus: 'confirmed' } });
    expect(await h.selectAll('railSettlementWaits')).toEqual([]);
    expect(await providers.railSettlementStatus('rail-1')).toBeUndefined();
  });

  it('rail settlement: begin deletes a finished previous wait; record replaces the rail row; a missing wait clears it', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    await providers.recordRailSettlement({ railId: 'rail-1', signedTxHash: '0xs1' });
    await messages.confirmWait(confirmation('0xs1', false));
    expect(await providers.beginRailSettlement('rail-1')).toMatchObject({ status: 'clear', previous: { signedTxHash: '0xs1' } });
    expect(await h.selectAll('railSettlementWaits')).toEqual([]);

    await providers.recordRailSettlement({ railId: 'rail-1', signedTxHash: '0xs2' });
    h.clock.advance(50);
    await providers.recordRailSettlement({ railId: 'rail-1', signedTxHash: '0xs3' });
    expect(await h.selectAll('railSettlementWaits')).toEqual([{ railId: 'rail-1', signedTxHash: '0xs3', createdAt: new Date(START + 50) }]);

    await messages.deleteWait('0xs3');
    expect(await providers.railSettlementStatus('rail-1')).toMatchObject({ removed: true, wait: undefined });
    expect(await h.selectAll('railSettlementWaits')).toEqual([]);
  });

  it('withdrawals: the newest row counts; pending refuses; status removes it once confirmed', async () => {
    const h = await harness(backend);
    const { providers, messages } = pdpFlows(h.sql, { clock: h.clock });
    expect(await providers.beginWithdrawal()).toEqual({ status: 'clear', previous: undefined });
    expect(await providers.withdrawalStatus()).toBeUndefined();
    const first = await providers.recordWithdrawal({ signedTxHash: '0xw1' });
    await messages.confirmWait(confirmation('0xw1', true));
    h.clock.advance(10);
    const second = await providers.recordWithdrawal({ signedTxHash: '0xw2' });
    expect(second).not.toBe(first);
    expect(await providers.beginWithdrawal()).toMatchObject({ status: 'pending', row: { id: second, signedTxHash: '0xw2' } });
    expect(await providers.withdrawalStatus()).toMatchObject({ row: { id: second }, removed: false });

    await messages.confirmWait(confirmation('0xw2', true));
    expect(await providers.withdrawalStatus()).toMatchObject({ row: { id: second, createdAtMs: START + 10 }, removed: true });
    expect((await h.selectAll('withdrawalWaits')).map((w) => w.id)).toEqual([first]);
    // The older, confirmed one is next; begin deletes it.
    expect(await providers.beginWithdrawal()).toMatchObject({ status: 'clear', previous: { id: first } });
    expect(await h.selectAll('withdrawalWaits')).toEqual([]);
  });
});
