import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import type { Config } from '../../src/config/load.ts';
import { OperationError } from '../../src/errors.ts';
import { backupInstallation } from '../../src/operations/backup.ts';
import { runDoctor } from '../../src/operations/doctor.ts';
import type { BackupManifest } from '../../src/operations/manifest.ts';
import { findPgTool } from '../../src/operations/postgres/pg-tools.ts';
import { serverMajor as majorOf } from '../../src/operations/postgres/pool.ts';
import { restoreInstallation } from '../../src/operations/restore.ts';
import { recordedBackend } from '../../src/stores/guard.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { spawnFixture } from '../support/child.ts';
import { forEachBackend, freshConfig, tempDir, withSql } from '../support/installations.ts';
import { counts, dump, seed } from './support.ts';

const manifestCounts = (manifest: BackupManifest) =>
  Object.fromEntries(manifest.stores.flatMap((s) => s.tables.map((t) => [`${s.store}.${t.name}`, t.rows])));

const serverMajor = (config: Config): Promise<number> => withSql(config, majorOf);

forEachBackend('backup and restore', (backend) => {
  it('restores every row, sequence and trigger into an empty installation, verified against the manifest', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const before = await dump(source);
    const dir = join(tempDir(), 'backup');
    const backup = await backupInstallation(source, dir);

    const { manifest } = backup;
    expect(manifest).toMatchObject({ format: 'piri-db-backup', backend, piriDbVersion: expect.any(String) });
    expect(manifestCounts(manifest)).toEqual(counts(before));
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toEqual(manifest);
    if (backend === 'sqlite') {
      expect(manifest.method).toBe('sqlite-online-backup');
      expect(manifest.stores.map((s) => s.database?.file)).toEqual(['scheduler.db', 'replicator.db', 'aggregator.db', 'egress_tracker.db']);
    } else {
      const tool = await findPgTool('pg_dump');
      const server = await serverMajor(source);
      expect(manifest.method).toBe(tool?.major === server ? 'pg_dump' : 'logical');
      if (tool && tool.major !== server) expect(backup.methodNote).toContain(`pg_dump ${tool.version} does not match the server's major version ${server}`);
    }
    for (const store of manifest.stores) expect(store.migrations.map((m) => m.tag)).toContain('0000_init');

    const target = await freshConfig(backend);
    const restored = await restoreInstallation(target, dir);
    expect(restored.rows).toBe(Object.values(before).reduce((n, rows) => n + rows.length, 0));
    expect(await dump(target)).toEqual(before);
    expect(recordedBackend(target.dataDir)?.backend).toBe(backend);
    expect((await runDoctor(target)).ok).toBe(true);

    const dbs = await openDatabases(target);
    try {
      const s = backend === 'sqlite' ? sqliteScheduler : pgScheduler;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const [task] = await (dbs.scheduler.db as any).insert(s.task).values({ postedTime: new Date(), addedBy: 'x', name: 'n', retries: 0 }).returning({ id: s.task.id });
      expect(task.id).toBe(5_000_000_124);
    } finally {
      await dbs.close();
    }

    const again = await restoreInstallation(target, dir).catch((e: unknown) => e);
    expect((again as OperationError).code).toBe('TARGET_NOT_EMPTY');
  });

  it('refuses a backup that is incomplete, altered, of the other backend, or a backup dir in use', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const dir = join(tempDir(), 'backup');
    const { manifest } = await backupInstallation(source, dir);

    await expect(backupInstallation(source, dir)).rejects.toThrow(/backup dir .* is not empty: choose a new one/);
    const other = await freshConfig(backend === 'sqlite' ? 'postgres' : 'sqlite');
    await expect(restoreInstallation(other, dir)).rejects.toThrow(new RegExp(`is a ${backend} backup and this installation is configured for`));

    const file = join(dir, manifest.stores[1]!.database?.file ?? manifest.stores[1]!.tables.find((t) => t.data)!.data!.file);
    appendFileSync(file, 'x');
    const altered = await restoreInstallation(await freshConfig(backend), dir).catch((e: unknown) => e);
    expect((altered as OperationError).code).toBe('BACKUP_INVALID');
    expect((altered as Error).message).toContain('does not match its manifest');

    rmSync(join(dir, 'manifest.json'));
    await expect(restoreInstallation(await freshConfig(backend), dir)).rejects.toThrow(/manifest\.json is missing \(an interrupted backup writes none\)/);
  });

  it('refuses to restore into an installation piri is running on', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const dir = join(tempDir(), 'backup');
    await backupInstallation(source, dir);
    const target = await freshConfig(backend);
    const running = await openDatabases(target);
    try {
      await expect(restoreInstallation(target, dir)).rejects.toThrow(
        backend === 'sqlite' ? /is in use by another piri-db instance/ : /piri-db session\(s\) are connected to .*: stop piri there/,
      );
    } finally {
      await running.close();
    }
    expect(counts(await dump(target))['scheduler.task']).toBe(0);
  });

  it('a backup taken while a writer inserts restores to a consistent state', async () => {
    const source = await freshConfig(backend);
    await (await openDatabases(source)).close();
    const writer = spawnFixture('writer.ts', source);
    let manifest: BackupManifest;
    try {
      await writer.next('writing');
      const dir = join(tempDir(), 'backup');
      ({ manifest } = await backupInstallation(source, dir));
      const target = await freshConfig(backend);
      await restoreInstallation(target, dir);

      const restored = counts(await dump(target));
      expect(restored).toEqual(manifestCounts(manifest));
      // Each round wrote a piece and its ref in one transaction: a consistent snapshot has as many of each.
      expect(restored['scheduler.parked_pieces']).toBeGreaterThanOrEqual(20);
      expect(restored['scheduler.parked_piece_refs']).toBe(restored['scheduler.parked_pieces']);
      const doctor = await runDoctor(target);
      expect(doctor.checks.filter((c) => c.status !== 'ok' && c.check !== 'wal')).toEqual([]);
      expect(doctor.checks.some((c) => c.check === (backend === 'sqlite' ? 'foreign keys' : 'constraints') && c.status === 'ok')).toBe(true);
    } finally {
      writer.process.kill('SIGKILL');
      await writer.exit;
    }
    // The writer kept going after the backup: the source has more than the backup holds.
    const now = counts(await dump(source));
    expect(now['scheduler.parked_pieces']).toBeGreaterThanOrEqual(manifestCounts(manifest)['scheduler.parked_pieces']!);
  });

  if (backend === 'postgres') {
    it('says why it cannot use pg_dump when asked for it', async () => {
      const source = await freshConfig(backend);
      await seed(source);
      const tool = await findPgTool('pg_dump');
      const server = await serverMajor(source);
      const missing = join(tempDir(), 'no-such-pg_dump');
      await expect(backupInstallation(source, join(tempDir(), 'b'), { method: 'pg_dump', pgDump: missing })).rejects.toThrow(
        `cannot back up with pg_dump: no pg_dump could be run (${missing})`,
      );
      if (tool && tool.major !== server) {
        await expect(backupInstallation(source, join(tempDir(), 'b'), { method: 'pg_dump' })).rejects.toThrow(
          `cannot back up with pg_dump: pg_dump ${tool.version} does not match the server's major version ${server}`,
        );
      }
      const logical = await backupInstallation(source, join(tempDir(), 'b'), { method: 'logical' });
      expect(logical.manifest.method).toBe('logical');
    });
  }
});

it('the manifest of a logical dump lists each table file with its sha256', async () => {
  const source = await freshConfig('postgres');
  await seed(source);
  const dir = join(tempDir(), 'backup');
  const { manifest } = await backupInstallation(source, dir, { method: 'logical' });
  const jobqueue = manifest.stores.find((s) => s.store === 'replicator')!.tables.find((t) => t.name === 'jobqueue')!;
  expect(jobqueue.data).toMatchObject({ file: 'replicator/jobqueue.ndjson', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const lines = readFileSync(join(dir, jobqueue.data!.file), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(jobqueue.rows);
  mkdirSync(join(dir, 'extra'));
  writeFileSync(join(dir, 'extra', 'note'), 'operators may keep notes beside a backup');
  const target = await freshConfig('postgres');
  await restoreInstallation(target, dir);
  expect(counts(await dump(target))).toEqual(manifestCounts(manifest));
});
