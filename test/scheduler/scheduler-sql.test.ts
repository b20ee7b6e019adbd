/**
 * The scheduler transaction layer (src/scheduler/sql/) on both backends: commit and rollback, serialisation of
 * transactions on SQLite's one connection, misuse refused, error classification of real driver errors, and the
 * message_send_eth_locks upsert of data-model §8.1.
 */
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../../src/scheduler/session-id.ts';
import type { SchedulerSql } from '../../src/scheduler/sql/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { deferred, harness, type Harness, START, taskRow } from './helpers.ts';

const send = (taskId: number, overrides: Record<string, unknown> = {}) => ({
  taskId,
  fromAddress: '0xSender',
  toAddress: '0xContract',
  sendReason: 'pdp-prove',
  unsignedTx: new Uint8Array([1, 2, 3]),
  unsignedHash: `0xunsigned${taskId}`,
  ...overrides,
});

/** A real lock error from this backend's driver. */
async function realLockError(h: Harness): Promise<unknown> {
  if (h.store.connection.dialect === 'sqlite') {
    const blocker = new Database(h.store.connection.file);
    const other = new Database(h.store.connection.file);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      other.pragma('busy_timeout = 0');
      try {
        other.exec('BEGIN IMMEDIATE');
      } catch (error) {
        return error;
      }
      throw new Error('expected SQLITE_BUSY');
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
      other.close();
    }
  }
  const id = await h.sql.transaction((tx) => tx.tasks.insert({ name: 'work', addedBy: 'x', nowMs: START }));
  if (h.config.database.type !== 'postgres') throw new Error('unreachable');
  const a = postgres(h.config.database.postgres.url, { max: 1, onnotice: () => {} });
  const b = postgres(h.config.database.postgres.url, { max: 1, onnotice: () => {} });
  try {
    const table = `"${h.store.connection.schema}"."task"`;
    return await a.begin(async (ta) => {
      await ta.unsafe(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE`, [id]);
      try {
        await b.unsafe(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE NOWAIT`, [id]);
      } catch (error) {
        return error;
      }
      throw new Error('expected lock_not_available');
    });
  } finally {
    await a.end();
    await b.end();
  }
}

forEachBackend('scheduler transactions', (backend) => {
  it('commits when the callback resolves and rolls back every write when it rejects', async () => {
    const h = await harness(backend);
    const id = await h.sql.transaction((tx) => tx.tasks.insert({ name: 'work', addedBy: 's', nowMs: START }));
    await expect(
      h.sql.transaction(async (tx) => {
        await tx.tasks.insert({ name: 'work', addedBy: 's', nowMs: START });
        await tx.messageSends.insert(send(id));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await h.selectAll('task')).map((t) => t.id)).toEqual([id]);
    expect(await h.selectAll('messageSendsEth')).toEqual([]);
  });

  it('never runs a statement of another async task inside an open transaction', async () => {
    const h = await harness(backend);
    const inside = deferred();
    const proceed = deferred();
    const first = h.sql.transaction(async (tx) => {
      await tx.tasks.insert({ name: 'work', addedBy: 'first', nowMs: START });
      inside.resolve();
      await proceed.promise;
      throw new Error('roll back');
    });
    await inside.promise;
    // Started while the first transaction is open and holds an uncommitted row. If it ran on the same SQLite
    // connection inside that transaction, it would see the row (and its own insert would be rolled back with it).
    const second = h.sql.transaction(async (tx) => {
      const seen = await tx.tasks.claimable({ name: 'work', limit: 10 });
      await tx.tasks.insert({ name: 'work', addedBy: 'second', nowMs: START });
      return seen.length;
    });
    proceed.resolve();
    await expect(first).rejects.toThrow('roll back');
    expect(await second).toBe(0);
    expect((await h.selectAll('task')).map((t) => t.addedBy)).toEqual(['second']);
  });

  it('refuses a nested transaction and a tx used after its transaction ended', async () => {
    const h = await harness(backend);
    await expect(h.sql.transaction(() => h.sql.transaction(async () => 1))).rejects.toThrow(/inside another one/);
    let leaked: Parameters<Parameters<SchedulerSql['transaction']>[0]>[0] | undefined;
    await h.sql.transaction(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.tasks.insert({ name: 'work', addedBy: 's', nowMs: START })).rejects.toThrow(/already ended/);
    expect(await h.selectAll('task')).toEqual([]);
  });

  it('classifies only UNIQUE and PRIMARY KEY violations as unique', async () => {
    const h = await harness(backend);
    const id = await h.sql.transaction((tx) => tx.tasks.insert({ name: 'work', addedBy: 's', nowMs: START }));
    await h.sql.transaction((tx) => tx.messageSends.insert(send(id)));
    const primaryKey = await h.sql.transaction((tx) => tx.messageSends.insert(send(id))).catch((e: unknown) => e);
    expect(h.sql.classifyError(primaryKey)).toBe('unique');

    await h.insert('railSettlementWaits', [{ railId: 'r1', signedTxHash: '0xh' }]);
    const uniqueIndex = await h.insert('railSettlementWaits', [{ railId: 'r2', signedTxHash: '0xh' }]).catch((e: unknown) => e);
    expect(uniqueIndex).toBeInstanceOf(Error);
    expect(h.sql.classifyError(uniqueIndex)).toBe('unique');

    const foreignKey = await h.insert('pdpProveTasks', [{ proofsetId: 999, taskId: id }]).catch((e: unknown) => e);
    expect(foreignKey).toBeInstanceOf(Error);
    expect(h.sql.classifyError(foreignKey)).toBe('other');

    const notNull = await h
      .sql.transaction((tx) => tx.messageSends.insert(send(id + 1, { fromAddress: null })))
      .catch((e: unknown) => e);
    expect(notNull).toBeInstanceOf(Error);
    expect(h.sql.classifyError(notNull)).toBe('other');
    expect(h.sql.classifyError(new Error('plain'))).toBe('other');
  });

  it('classifies a real lock error as lock, also when wrapped', async () => {
    const h = await harness(backend);
    const error = await realLockError(h);
    expect(error).toBeInstanceOf(Error);
    expect(h.sql.classifyError(error)).toBe('lock');
    expect(h.sql.classifyError(new Error('wrapped', { cause: error }))).toBe('lock');
  });

  it('message_send_eth_locks: insert, or take over only when the same task holds it', async () => {
    const h = await harness(backend);
    const acquire = (taskId: number) =>
      h.sql.transaction((tx) => tx.messageSendLocks.acquire({ fromAddress: '0xA', taskId, nowMs: START }));
    const release = (taskId: number) =>
      h.sql.transaction((tx) => tx.messageSendLocks.release({ fromAddress: '0xA', taskId }));
    expect(await acquire(1)).toBe(true);
    expect(await acquire(2)).toBe(false);
    expect(await acquire(1)).toBe(true);
    expect(await release(2)).toBe(false);
    expect((await h.selectAll('messageSendEthLocks')).map((l) => l.taskId)).toEqual([1]);
    expect(await release(1)).toBe(true);
    expect(await acquire(2)).toBe(true);
  });

  it('message_sends_eth: nonce from the highest successful send, signed once, send recorded', async () => {
    const h = await harness(backend);
    await h.insert('task', [taskRow({ id: 10 }), taskRow({ id: 11 }), taskRow({ id: 12 })]);
    await h.sql.transaction(async (tx) => {
      for (const id of [10, 11, 12]) await tx.messageSends.insert(send(id));
      expect(await tx.messageSends.maxSentNonce({ fromAddress: '0xSender' })).toBeUndefined();
      expect(await tx.messageSends.assignNonce({ taskId: 10, nonce: 7, signedTx: new Uint8Array([9]), signedHash: '0xs10' })).toBe(true);
      expect(await tx.messageSends.assignNonce({ taskId: 11, nonce: 8, signedTx: new Uint8Array([9]), signedHash: '0xs11' })).toBe(true);
      expect(await tx.messageSends.recordSend({ taskId: 10, success: true, error: '', nowMs: START + 5 })).toBe(true);
      expect(await tx.messageSends.recordSend({ taskId: 11, success: false, error: 'nonce too low', nowMs: START })).toBe(true);
      expect(await tx.messageSends.maxSentNonce({ fromAddress: '0xSender' })).toBe(7);
      expect(await tx.messageSends.assignNonce({ taskId: 99, nonce: 1, signedTx: new Uint8Array(), signedHash: '' })).toBe(false);
    });
    const rows = await h.selectAll('messageSendsEth');
    const row10 = rows.find((r) => r.sendTaskId === 10)!;
    expect(row10).toMatchObject({ nonce: 7, signedHash: '0xs10', sendSuccess: true, sendError: '' });
    expect(row10.sendTime!.getTime()).toBe(START + 5);
    expect(rows.find((r) => r.sendTaskId === 12)).toMatchObject({ nonce: null, sendSuccess: null, sendError: null });
  });
});

describe('session ids', () => {
  it('are UUIDv7 strings carrying their creation time', () => {
    const id = uuidv7(START);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(START);
    expect(uuidv7(START)).not.toBe(id);
  });
});
