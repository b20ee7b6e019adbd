import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { sqliteStoreFile } from '../../src/backend/sqlite/file.ts';
import { formatStatus } from '../../src/cli/format-status.ts';
import type { Config } from '../../src/config/load.ts';
import { OperationError } from '../../src/errors.ts';
import { adoptInstallation } from '../../src/operations/adopt/index.ts';
import { copyInstallation } from '../../src/operations/copy.ts';
import { runDoctor } from '../../src/operations/doctor.ts';
import { MARKER_FILE } from '../../src/stores/marker.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Dialect, STORES } from '../../src/catalog/registry.ts';
import { installationStatus } from '../../src/stores/status.ts';
import { forEachBackend, freshConfig, tempDir } from '../support/installations.ts';
import { createPiriInstallation, envelope, piriRowCounts } from '../support/piri-installation.ts';

const other = (backend: Dialect): Dialect => (backend === 'sqlite' ? 'postgres' : 'sqlite');

/** What must not change when adopt refuses: the stores still Piri's, no marker, no backup. */
async function assertUntouched(config: Config): Promise<void> {
  const status = await installationStatus(config);
  expect(status.stores.every((s) => s.piri && s.appliedMigrations.length === 0)).toBe(true);
  expect(existsSync(join(config.dataDir, MARKER_FILE))).toBe(false);
  expect(readdirSync(config.dataDir).filter((f) => f.startsWith('piri-db-adopt-backup'))).toEqual([]);
  const rows = new Map<string, number>(status.stores.flatMap((s) => s.tables.map((t) => [`${s.store}.${t.name}`, t.rows] as const)));
  for (const [table, n] of piriRowCounts(config.database.type)) expect(rows.get(table), table).toBe(n);
}

/** A process that keeps the replicator's store file open, as a running Piri does. */
async function holdOpen(config: Config): Promise<{ pid: number; stop: () => Promise<void> }> {
  const file = sqliteStoreFile(config.dataDir, STORES.find((s) => s.name === 'replicator')!);
  const script = `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); db.pragma('journal_mode = WAL');
    db.prepare('SELECT count(*) FROM jobqueue').get(); console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).once('line', () => resolve()));
  return {
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

forEachBackend('adopt a Piri v0.2.4 installation', (backend) => {
  async function piri(alter?: Parameters<typeof createPiriInstallation>[2]): Promise<Config> {
    const config = await freshConfig(backend);
    await createPiriInstallation(config, new Date(), alter);
    return config;
  }

  it('is recognised by status and doctor, which point to adopt, not migrate', async () => {
    const config = await piri();
    const status = await installationStatus(config);
    expect(status.piriInstallation).toBe(true);
    expect(status.stores.map((s) => s.piri)).toEqual([true, true, true, true]);
    expect(formatStatus(status)).toContain('run `piri-db adopt`');
    const doctor = await runDoctor(config);
    expect(doctor.ok).toBe(false);
    const setup = doctor.checks.filter((c) => c.check === 'setup');
    expect(setup.map((c) => c.store)).toEqual(STORES.map((s) => s.name));
    expect(setup.every((c) => c.status === 'fail' && c.detail.includes('piri-db adopt'))).toBe(true);
    expect(doctor.checks.some((c) => c.detail.includes('piri-db migrate'))).toBe(false);
  });

  it('a boot on it is refused, pointing to adopt, and adopt still works afterwards', async () => {
    const config = await piri();
    await expect(openDatabases(config)).rejects.toThrow(/holds a Piri installation piri-db has not adopted .*: run `piri-db adopt`/);
    const report = await adoptInstallation(config, { backupDir: join(tempDir(), 'backup') });
    expect(report.doctor?.ok).toBe(true);
  });

  it('refuses a schema that is not Piri v0.2.4, listing the differences, and changes nothing', async () => {
    const config = await piri({ store: 'replicator', sql: 'ALTER TABLE jobqueue ADD COLUMN priority INTEGER' });
    const refusal = adoptInstallation(config);
    await expect(refusal).rejects.toBeInstanceOf(OperationError);
    await expect(refusal).rejects.toThrow(/does not have the schema of Piri v0\.2\.4[\s\S]*replicator: not in Piri v0\.2\.4: column jobqueue\.priority/);
    await assertUntouched(config);
  });

  it('refuses while another client uses the installation, saying what it saw, and changes nothing', async () => {
    const config = await piri();
    if (config.database.type === 'sqlite') {
      const holder = await holdOpen(config);
      try {
        await expect(adoptInstallation(config)).rejects.toThrow(new RegExp(`replicator\\.db is in use by another process[\\s\\S]*process ${holder.pid} `));
      } finally {
        await holder.stop();
      }
    } else {
      const piriPool = postgres(config.database.postgres.url, { max: 1, onnotice: () => {}, connection: { application_name: 'piri' } });
      try {
        await piriPool`SELECT 1`;
        await expect(adoptInstallation(config)).rejects.toThrow(/is in use: session \d+, user \w+, application piri/);
      } finally {
        await piriPool.end();
      }
    }
    await assertUntouched(config);
  });

  it('--dry-run reports the plan and changes nothing', async () => {
    const config = await piri();
    const report = await adoptInstallation(config, { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.doctor).toBeUndefined();
    const replicator = report.stores.find((s) => s.store === 'replicator')!;
    expect(replicator.changes[0]).toBe("record 0000_init as applied: Piri's schema has its tables");
    expect(replicator.changes).toContain('apply 0002_claim_order_index');
    if (backend === 'sqlite') {
      expect(replicator.changes).toContain('rewrite 2 jobqueue.timeout value(s) written in a local zone as the same instant in UTC');
      const aggregator = report.stores.find((s) => s.store === 'aggregator')!;
      expect(aggregator.changes.at(-1)).toMatch(/^jobs ids continue above 3, .*renumbered: 1 -> 3$/);
    } else {
      expect(replicator.changes).toContain("drop Piri's trigger jobqueue_updated_timestamp on jobqueue: 0001_queue_triggers creates piri-db's");
      expect(replicator.changes).toContain("drop Piri's function jobqueue_update_timestamp: 0001_queue_triggers creates piri-db's");
    }
    await assertUntouched(config);
  });

  it('adopts in place: backup first, every row kept, doctor clean, and piri-db queues work on what Piri wrote', async () => {
    const config = await piri();
    const backupDir = join(tempDir(), 'before-adopt');
    const report = await adoptInstallation(config, { backupDir });
    expect(report.dryRun).toBe(false);
    expect(report.backupDir).toBe(backupDir);
    expect(existsSync(join(backupDir, 'manifest.json'))).toBe(true);
    expect(report.doctor?.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.marker).toBe(join(config.dataDir, MARKER_FILE));
    const adopted = new Map<string, unknown>(report.stores.flatMap((s) => s.tables.map((t) => [`${s.store}.${t.table}`, t] as const)));
    for (const [table, n] of piriRowCounts(backend)) expect(adopted.get(table), table).toEqual({ table: table.split('.')[1], rowsBefore: n, rowsAfter: n });
    expect(report.stores.every((s) => s.changes.includes('apply 0001_' + (s.store === 'scheduler' ? 'triggers' : 'queue_triggers')))).toBe(true);

    const status = await installationStatus(config);
    expect(status.piriInstallation).toBe(false);
    expect(status.stores.every((s) => s.pendingMigrations.length === 0)).toBe(true);

    const dbs = await openDatabases(config);
    try {
      // Sent by Piri a minute ago on a UTC+05:00 host: due now, not in five hours.
      const job = await dbs.replicator.queue('replication').receive();
      expect(job?.id).toBe(`m_${'1'.repeat(32)}`);
      // The live job Piri gave an id a dead letter already has, and a new one: both can be dead-lettered.
      const dedup = dbs.aggregator.dedupQueue('aggregator', { dedupe: { enabled: true, blockRepeatsAfterDeadLetter: false } });
      expect(await dedup.send(envelope('aggregate_piece', 'piece-new'))).toMatch(/^\d+$/);
      for (let i = 0; i < 2; i++) {
        const claimed = await dedup.receive();
        expect(claimed).toBeDefined();
        expect(['1', '2']).not.toContain(claimed!.id);
        await dedup.deadLetter(claimed!.id, { jobName: 'aggregate_piece', reason: 'permanent_error', error: 'test' });
      }
      expect(await dedup.deadLetters()).toHaveLength(4);
    } finally {
      await dbs.close();
    }
    if (config.database.type === 'sqlite') {
      const db = new Database(sqliteStoreFile(config.dataDir, STORES[0]!), { readonly: true });
      try {
        const times = db.prepare('SELECT update_time FROM task ORDER BY id').pluck().all() as string[];
        for (const time of times) expect(time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{3}\+00:00)?$/);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        db.close();
      }
    }
  });

  it('copies the adopted installation to the other backend, verified', async () => {
    const config = await piri();
    await adoptInstallation(config, { backupDir: join(tempDir(), 'backup') });
    const target = await freshConfig(other(backend));
    const copied = await copyInstallation(config, target);
    const expected = [...piriRowCounts(backend).values()].reduce((a, b) => a + b, 0);
    expect(copied.rows).toBe(expected);
    const status = await installationStatus(target);
    expect(status.stores.flatMap((s) => s.tables).reduce((sum, t) => sum + t.rows, 0)).toBe(expected);
  });
});

describe('adopt refuses what is not a Piri installation', () => {
  it('an installation piri-db set up', async () => {
    const config = await freshConfig('sqlite');
    await (await openDatabases(config)).close();
    await expect(adoptInstallation(config)).rejects.toThrow(/is a piri-db installation already: nothing to adopt/);
  });
});
