import { cpSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import * as pgAggregator from '../../schema/postgres/aggregator.ts';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteAggregator from '../../schema/sqlite/aggregator.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import type { Config } from '../../src/config/load.ts';
import { OperationError } from '../../src/errors.ts';
import { copyInstallation } from '../../src/operations/copy.ts';
import { recordedBackend } from '../../src/stores/guard.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Dialect, STORES } from '../../src/catalog/registry.ts';
import { spawnFixture } from '../support/child.ts';
import { forEachBackend, freshConfig, tempDir, withSql } from '../support/installations.ts';
import { counts, dump, seed, storeFiles } from './support.ts';

const other = (backend: Dialect): Dialect => (backend === 'sqlite' ? 'postgres' : 'sqlite');

function withSqlite<T>(config: Config, store: (typeof STORES)[number]['name'], body: (db: Database.Database) => T): T {
  const db = new Database(sqliteStoreFile(config.dataDir, STORES.find((s) => s.name === store)!));
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** A replicator.jobqueue big enough that a copy of it takes a while. */
async function fillJobqueue(config: Config, rows: number): Promise<void> {
  if (config.database.type === 'sqlite') {
    withSqlite(config, 'replicator', (db) => {
      const insert = db.prepare(`INSERT INTO jobqueue (queue, body, timeout) VALUES ('replication', ?, '2024-01-01T00:00:00.000Z')`);
      db.transaction(() => {
        for (let i = 0; i < rows; i++) insert.run(Buffer.from(`job body ${i} ✓`));
      })();
    });
    return;
  }
  await withSql(config, (sql) =>
    sql.unsafe(`INSERT INTO replicator.jobqueue (queue, body, timeout)
                SELECT 'replication', convert_to('job body ' || g || ' ✓', 'UTF8'), now() FROM generate_series(1, ${rows}) g`),
  );
}

describe('copy SQLite -> Postgres -> SQLite', () => {
  it('moves every row of every store exactly, switches the data dir in place, leaves the SQLite files untouched', async () => {
    const source = await freshConfig('sqlite');
    await seed(source);
    const before = await dump(source);
    const files = storeFiles(source.dataDir);
    for (const store of STORES) {
      // The seed covers every table Piri's model has (a table added later is copied all the same).
      const empty = Object.entries(before).filter(([k, rows]) => k.startsWith(`${store.name}.`) && rows.length === 0 && k !== 'scheduler.task_engine_sessions');
      expect(empty).toEqual([]);
    }

    const pg = await freshConfig('postgres', source.dataDir);
    const there = await copyInstallation(source, pg);
    expect(there).toMatchObject({ inPlace: true, rows: Object.values(before).reduce((n, r) => n + r.length, 0) });
    expect(recordedBackend(source.dataDir)).toEqual({ backend: 'postgres', source: 'marker' });
    expect(storeFiles(source.dataDir)).toEqual(files);
    expect(counts(await dump(pg))).toEqual(counts(before));

    await withSql(pg, async (sql) => {
      // The trigger-maintained refcount is copied, not counted a second time by the insert trigger.
      expect(await sql`SELECT proofset_refcount::int AS n FROM scheduler.pdp_piecerefs`).toEqual([{ n: 1 }]);
      const [task] = await sql`SELECT to_char(posted_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS t FROM scheduler.task WHERE id = 7`;
      expect(task!.t).toBe('2024-03-04 05:06:07.089');
      const [upload] = await sql`SELECT encode(check_hash, 'hex') AS h FROM scheduler.pdp_piece_uploads`;
      expect(upload!.h).toBe('122000ff7f8000');
      const [wait] = await sql`SELECT confirmed_tx_data->'list'->1->>'k' AS k, tx_success FROM scheduler.message_waits_eth WHERE signed_tx_hash = '0xadd'`;
      expect(wait).toEqual({ k: 'v', tx_success: true });
    });

    const back = await freshConfig('sqlite');
    const home = await copyInstallation(pg, back);
    expect(home.inPlace).toBe(false);
    expect(await dump(back)).toEqual(before);
    expect(recordedBackend(back.dataDir)?.backend).toBe('sqlite');
    const dbs = await openDatabases(back);
    await dbs.close();
  });
});

forEachBackend('copy into', (backend) => {
  it('continues ids above every id the source handed out', async () => {
    const source = await freshConfig(other(backend));
    await seed(source);
    // 6e9 was handed out and deleted: it must not come back.
    if (source.database.type === 'sqlite') {
      withSqlite(source, 'scheduler', (db) => {
        db.prepare(`INSERT INTO task (id, posted_time, added_by, name, retries) VALUES (6000000000, '2024-01-01 00:00:00', 'x', 'n', 0)`).run();
        db.prepare('DELETE FROM task WHERE id = 6000000000').run();
      });
    } else {
      await withSql(source, (sql) => sql`SELECT setval(pg_get_serial_sequence('scheduler.task', 'id'), 6000000000)`);
    }
    const target = await freshConfig(backend, tempDir());
    await copyInstallation(source, target);

    const dbs = await openDatabases(target);
    try {
      const s = backend === 'sqlite' ? sqliteScheduler : pgScheduler;
      const a = backend === 'sqlite' ? sqliteAggregator : pgAggregator;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const scheduler = dbs.scheduler.db as any;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const aggregator = dbs.aggregator.db as any;
      const [task] = await scheduler.insert(s.task).values({ postedTime: new Date(), addedBy: 'x', name: 'n', retries: 0 }).returning({ id: s.task.id });
      expect(task.id).toBe(6_000_000_001);
      const [wait] = await scheduler.insert(s.withdrawalWaits).values({ signedTxHash: '0xnew' }).returning({ id: s.withdrawalWaits.id });
      expect(wait.id).toBe(1_099_511_627_777);
      const [job] = await aggregator
        .insert(a.jobs)
        .values({ nsId: 1, key: Buffer.from('new'), body: Buffer.from('b'), availS: 0 })
        .returning({ id: a.jobs.id });
      expect(job.id).toBe(10);
      const [ns] = await aggregator.insert(a.jobNs).values({ queue: 'q', name: 'n' }).returning({ id: a.jobNs.id });
      expect(ns.id).toBe(2);
    } finally {
      await dbs.close();
    }
  });
});

forEachBackend('copy from', (backend) => {
  it('refuses a target that holds data and leaves the source untouched', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const before = await dump(source);
    const files = backend === 'sqlite' ? storeFiles(source.dataDir) : undefined;
    // A target with rows but no marker in the target's data dir: a Postgres database an installation with
    // another data dir uses; SQLite files left in the source's data dir by an earlier move (in place).
    const used = await freshConfig(other(backend), backend === 'sqlite' ? tempDir() : source.dataDir.concat('-old'));
    await seed(used);
    const target =
      used.database.type === 'postgres' ? { ...used, dataDir: tempDir() } : await freshConfig('sqlite', source.dataDir);
    if (used.database.type === 'sqlite') {
      for (const store of STORES) cpSync(sqliteStoreFile(used.dataDir, store), sqliteStoreFile(source.dataDir, store), { recursive: true });
    }

    const error = await copyInstallation(source, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).code).toBe('TARGET_NOT_EMPTY');
    expect((error as Error).message).toMatch(/refusing to copy into .*: it already holds data \(scheduler\.\w+, .*and \d+ more\)/);
    expect(await dump(source)).toEqual(before);
    if (files) expect(storeFiles(source.dataDir)).toEqual(files);
    expect(recordedBackend(source.dataDir)?.backend).toBe(backend);
  });

  it('refuses a target data dir that belongs to another installation', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const taken = await freshConfig('sqlite');
    await (await openDatabases(taken)).close();
    const target = await freshConfig(other(backend), taken.dataDir);
    await expect(copyInstallation(source, target)).rejects.toThrow(/already belongs to a sqlite installation/);
  });

  it('refuses a source with pending migrations, naming piri-db migrate', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    if (source.database.type === 'sqlite') {
      withSqlite(source, 'replicator', (db) => db.prepare('DELETE FROM __piri_db_migrations WHERE id = (SELECT max(id) FROM __piri_db_migrations)').run());
    } else {
      await withSql(source, (sql) => sql.unsafe('DELETE FROM piri_db.migrations_replicator WHERE id = (SELECT max(id) FROM piri_db.migrations_replicator)'));
    }
    const error = await copyInstallation(source, await freshConfig(other(backend), tempDir())).catch((e: unknown) => e);
    expect((error as OperationError).code).toBe('SOURCE_NOT_READY');
    expect((error as Error).message).toMatch(/pending migrations \(replicator: .*\): run `piri-db migrate` on it first/);
  });

  it('refuses to switch the data dir in place while piri runs on it', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const running = await openDatabases(source);
    try {
      const error = await copyInstallation(source, await freshConfig(other(backend), source.dataDir)).catch((e: unknown) => e);
      expect((error as OperationError).code).toBe('SOURCE_NOT_READY');
      expect((error as Error).message).toMatch(/piri must be stopped first/);
    } finally {
      await running.close();
    }
    expect(recordedBackend(source.dataDir)?.backend).toBe(backend);
  });

  it('killed half way: the source stays usable and recorded, the next copy refuses the half-filled target', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const rows = 60_000;
    await fillJobqueue(source, rows);
    const before = counts(await dump(source));
    const files = backend === 'sqlite' ? storeFiles(source.dataDir) : undefined;
    const target = await freshConfig(other(backend), source.dataDir);

    const child = spawnFixture('copy.ts', source, JSON.stringify(target), 'jobqueue');
    const halfway = await child.next('halfway');
    child.process.kill('SIGKILL');
    const exit = await child.exit;
    expect(exit.signal).toBe('SIGKILL');
    expect(Number(halfway.done)).toBeLessThan(rows + 2);

    // The source: untouched, still the recorded backend, and piri starts on it.
    if (files) expect(storeFiles(source.dataDir)).toEqual(files);
    expect(recordedBackend(source.dataDir)?.backend).toBe(backend);
    expect(counts(await dump(source))).toEqual(before);
    await (await openDatabases(source)).close();

    // The target: part of the data is there, and a new copy says what to do about it.
    const error = await copyInstallation(source, target).catch((e: unknown) => e);
    expect((error as OperationError).code).toBe('TARGET_NOT_EMPTY');
    expect((error as Error).message).toMatch(/it already holds data \(scheduler\..*if an interrupted copy left this data behind, empty the target/);
    expect((error as Error).message).toMatch(other(backend) === 'sqlite' ? /move the store files/ : /DROP SCHEMA scheduler, replicator, aggregator, egress_tracker, piri_db CASCADE/);
    expect(recordedBackend(source.dataDir)?.backend).toBe(backend);
  });
});
