/**
 * dbs.scheduler.transaction: typed drizzle work (`tx.db`) and the scheduler's operations in one transaction, on both
 * backends. On SQLite, the store's own `db` shares the one connection with the scheduler's transactions, which stay
 * open across awaits: a statement issued on it while another task's transaction is open is refused instead of
 * running inside that transaction.
 */
import { expect, it } from 'vitest';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import { PiriDbError } from '../../src/errors.ts';
import type { SchedulerTx } from '../../src/scheduler/sql/types.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';

const NOW = Date.UTC(2026, 0, 1);

forEachBackend('dbs.scheduler.transaction', (backend) => {
  const open = async () => openDatabases(await freshConfig(backend));

  it('runs tx.db and the scheduler operations in one transaction: committed together, rolled back together', async () => {
    const dbs = await open();
    try {
      const names = async () => (await taskNames(dbs)).sort();
      await dbs.scheduler.transaction(async (tx) => {
        await tx.tasks.insert({ name: 'viaOps', addedBy: 'test', nowMs: NOW });
        await insertTask(backend, tx, 'viaDrizzle');
      });
      expect(await names()).toEqual(['viaDrizzle', 'viaOps']);
      await expect(
        dbs.scheduler.transaction(async (tx) => {
          await tx.tasks.insert({ name: 'lostOps', addedBy: 'test', nowMs: NOW });
          await insertTask(backend, tx, 'lostDrizzle');
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await names()).toEqual(['viaDrizzle', 'viaOps']);
    } finally {
      await dbs.close();
    }
  });

  it('tx.db is refused once its transaction has ended', async () => {
    const dbs = await open();
    try {
      let kept: SchedulerTx | undefined;
      await dbs.scheduler.transaction(async (tx) => {
        kept = tx;
      });
      await expect(kept!.tasks.insert({ name: 'late', addedBy: 'test', nowMs: NOW })).rejects.toThrow(/already ended/);
      expect(() => kept!.db).toThrow(/already ended/);
    } finally {
      await dbs.close();
    }
  });

  if (backend === 'sqlite') {
    const openSqlite = async () => {
      const dbs = await open();
      if (dbs.backend !== 'sqlite') throw new Error('expected a SQLite installation');
      return dbs;
    };

    it("a statement on dbs.scheduler.db while another task's scheduler transaction is open is refused, not run inside it", async () => {
      const dbs = await openSqlite();
      try {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let entered!: () => void;
        const inside = new Promise<void>((resolve) => (entered = resolve));
        const transaction = dbs.scheduler.transaction(async (tx) => {
          await tx.tasks.insert({ name: 'held', addedBy: 'test', nowMs: NOW });
          entered();
          await held;
          throw new Error('roll back');
        });
        await inside;
        // Another task, while the transaction waits: without the guard this insert would join it and be rolled back.
        const outside = () => dbs.scheduler.db.insert(sqliteScheduler.task).values(taskRow('outside')).run();
        expect(outside).toThrow(PiriDbError);
        expect(outside).toThrow(/TRANSACTION_OPEN|scheduler transaction is open/);
        release();
        await expect(transaction).rejects.toThrow('roll back');
        outside();
        expect(dbs.scheduler.db.select().from(sqliteScheduler.task).all().map((t) => t.name)).toEqual(['outside']);
      } finally {
        await dbs.close();
      }
    });

    it('inside its own transaction, dbs.scheduler.db is that transaction', async () => {
      const dbs = await openSqlite();
      try {
        await expect(
          dbs.scheduler.transaction(async () => {
            dbs.scheduler.db.insert(sqliteScheduler.task).values(taskRow('inside')).run();
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(dbs.scheduler.db.select().from(sqliteScheduler.task).all()).toEqual([]);
      } finally {
        await dbs.close();
      }
    });
  }
});

function taskRow(name: string) {
  return { name, addedBy: 'test', retries: 0, postedTime: new Date(NOW), updateTime: new Date(NOW) };
}

/** Inserts through tx.db (the test's backend says which drizzle instance it is). */
async function insertTask(backend: Dialect, tx: SchedulerTx, name: string): Promise<void> {
  if (backend === 'sqlite') (tx as SchedulerTx<'sqlite'>).db.insert(sqliteScheduler.task).values(taskRow(name)).run();
  else await (tx as SchedulerTx<'postgres'>).db.insert(pgScheduler.task).values(taskRow(name));
}

async function taskNames(dbs: Databases): Promise<string[]> {
  const rows =
    dbs.backend === 'sqlite'
      ? await dbs.scheduler.transaction(async (tx) => tx.db.select().from(sqliteScheduler.task).all())
      : await dbs.scheduler.transaction(async (tx) => tx.db.select().from(pgScheduler.task));
  return rows.map((t) => t.name);
}
