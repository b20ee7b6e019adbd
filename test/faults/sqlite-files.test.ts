/**
 * SQLite files and the disk under them failing: a read-only data dir, a missing parent directory, a file that is
 * not a database, a truncated file, a page damaged in the middle of a file, a full disk. Each either works (the
 * missing directory is created) or gives a PiriDbError that names the file; and nothing committed before is lost:
 * once the fault is gone (permissions back, space freed, the damaged file put back), every row is there and
 * integrity_check is ok. A failed open leaves nothing open behind it (no file handle under the data dir).
 *
 * The tests run as root, which ignores file permissions: a read-only data dir is then a read-only bind mount, and a
 * full disk is a 2 MiB tmpfs. Where the machine does not allow a mount, that case is skipped, with the reason.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import { loadConfig } from '../../src/config/load.ts';
import { PiriDbError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import { schedulerSql } from '../../src/scheduler/sql/index.ts';
import { createJobQueue, type JobQueueLogger, type LogFields } from '../../src/queue/runtime/index.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { STORES, type StoreName } from '../../src/catalog/registry.ts';
import { tempDir } from '../support/installations.ts';
import { tableRows } from '../support/queues.ts';
import { waitFor } from './support/wait.ts';

const isRoot = process.getuid?.() === 0;

/** Runs a command; its error output when it fails. */
function tryRun(command: string, args: string[]): string | undefined {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    return undefined;
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim() || (error as Error).message;
  }
}

/**
 * How this machine can make a directory read-only for the test process, or why it cannot. As root, permission bits
 * prove nothing (root writes through 0555): a read-only bind mount of the directory onto itself is the only honest
 * way. Probed once, on a scratch directory, when the file loads.
 */
const readOnly: { how: 'chmod' | 'bind-mount' } | { skip: string } = (() => {
  if (!isRoot) return { how: 'chmod' };
  const probe = tempDir('piri-db-ro-probe-');
  const failed = tryRun('mount', ['--bind', probe, probe]) ?? tryRun('mount', ['-o', 'remount,ro,bind', probe]);
  tryRun('umount', [probe]);
  return failed === undefined
    ? { how: 'bind-mount' }
    : { skip: `running as root, which ignores file permissions (chmod 0555 would prove nothing), and a read-only bind mount is not allowed here: ${failed}` };
})();

const tmpfs: { skip?: string } = (() => {
  if (!isRoot) return { skip: 'mounting a size-limited tmpfs needs root' };
  const probe = tempDir('piri-db-tmpfs-probe-');
  const failed = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', probe]);
  if (failed === undefined) tryRun('umount', [probe]);
  return failed === undefined ? {} : { skip: `a size-limited tmpfs cannot be mounted here: ${failed}` };
})();

/** Makes `dir` and everything under it read-only for this process; returns the undo. */
function makeReadOnly(dir: string): () => void {
  if ('skip' in readOnly) throw new Error(readOnly.skip);
  if (readOnly.how === 'bind-mount') {
    execFileSync('mount', ['--bind', dir, dir]);
    execFileSync('mount', ['-o', 'remount,ro,bind', dir]);
    // Lazily if something still holds a file under it: the mount must not outlive the test either way.
    return () => {
      if (tryRun('umount', [dir]) !== undefined) execFileSync('umount', ['-l', dir]);
    };
  }
  const paths = walk(dir);
  for (const path of paths.reverse()) chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
  return () => {
    for (const path of walk(dir)) chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  };
}

function walk(dir: string): string[] {
  return [dir, ...readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))];
}

const configFor = (dataDir: string) => loadConfig({ env: {}, dataDir });
const storeFile = (dataDir: string, name: StoreName) => sqliteStoreFile(dataDir, STORES.find((s) => s.name === name)!);

/** Committed rows in every queue store: live jobs, a dead letter, dedup jobs. */
async function seed(dbs: Databases, jobs = 40): Promise<void> {
  const bodies = (job: string, tag: string) => Array.from({ length: jobs }, (_, i) => encode(job, Buffer.from(`${tag}-${i}`)));
  await dbs.replicator.queue('replication').sendMany(bodies('transfer-task', 'r'));
  await dbs.aggregator.queue('compute_commp').sendMany(bodies('compute_commp', 'c'));
  await dbs.aggregator.dedupQueue('aggregator').sendMany(bodies('aggregate_piece', 'a'));
  await dbs.egressTracker.queue('egress-tracker').sendMany(bodies('egress-track-task', 'e'));
  const replication = dbs.replicator.queue('replication');
  const claimed = (await replication.receive())!;
  await replication.deadLetter(claimed.id, { jobName: 'transfer-task', reason: 'permanent_error', error: 'seeded' });
}

/** What the queue stores hold, as sorted ids and body digests per table. */
async function contents(dbs: Databases): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const list = async (label: string, rows: Record<string, any>[]) => {
    out[label] = rows.map((r) => `${r.id}:${createHash('sha256').update(r.body).digest('hex')}`).sort();
  };
  for (const store of [dbs.replicator, dbs.aggregator, dbs.egressTracker]) {
    await list(`${store.name}.jobqueue`, await tableRows(store, 'jobqueue'));
    await list(`${store.name}.jobqueue_dead`, await tableRows(store, 'jobqueueDead'));
  }
  await list('aggregator.jobs', await tableRows(dbs.aggregator, 'jobs'));
  return out;
}

function integrity(dbs: Databases): Record<string, unknown> {
  return Object.fromEntries(
    dbs.stores.map((s) => [s.name, s.connection.dialect === 'sqlite' ? s.connection.client.pragma('integrity_check', { simple: true }) : 'n/a']),
  );
}
const ALL_OK = Object.fromEntries(STORES.map((s) => [s.name, 'ok']));

/** Opens, runs `body`, closes. */
async function withOpen<T>(dataDir: string, body: (dbs: Databases) => Promise<T>): Promise<T> {
  const dbs = await openDatabases(configFor(dataDir));
  try {
    return await body(dbs);
  } finally {
    await dbs.close();
  }
}

/** A set-up installation with committed rows; returns what it holds. */
async function installation(dataDir: string, jobs?: number): Promise<Record<string, string[]>> {
  return withOpen(dataDir, async (dbs) => {
    await seed(dbs, jobs);
    return contents(dbs);
  });
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const storeDigests = (dataDir: string) => Object.fromEntries(STORES.map((s) => [s.name, digest(storeFile(dataDir, s.name))]));

/** Files under `dir` this process holds open. */
function openFilesUnder(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(`${dir}/`) || target === dir ? [target] : [];
    } catch {
      return [];
    }
  });
}

async function openError(dataDir: string): Promise<PiriDbError> {
  const error = await openDatabases(configFor(dataDir)).then(
    async (dbs) => {
      await dbs.close();
      throw new Error('openDatabases succeeded');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PiriDbError);
  return error as PiriDbError;
}

/** After the fault is gone: everything committed is there, and every file passes integrity_check. */
async function expectIntact(dataDir: string, before: Record<string, string[]>): Promise<void> {
  await withOpen(dataDir, async (dbs) => {
    expect(await contents(dbs)).toEqual(before);
    expect(integrity(dbs)).toEqual(ALL_OK);
  });
}

describe('SQLite store files under faults', () => {
  it('a missing parent directory: created as needed, the installation works', async () => {
    const dataDir = join(tempDir('piri-db-fault-missing-'), 'not', 'there', 'yet');
    expect(existsSync(dirname(dataDir))).toBe(false);
    const before = await installation(dataDir);
    for (const store of STORES) expect(statSync(storeFile(dataDir, store.name)).isFile()).toBe(true);
    expect(before['replicator.jobqueue']).toHaveLength(39);
    expect(before['replicator.jobqueue_dead']).toHaveLength(1);
    await expectIntact(dataDir, before);
  });

  it.skipIf('skip' in readOnly)(
    `a read-only data dir: open fails naming the file and what is read-only; nothing lost once writable again${'skip' in readOnly ? ` (skipped: ${readOnly.skip})` : ''}`,
    async () => {
      const dataDir = tempDir('piri-db-fault-ro-');
      const before = await installation(dataDir);
      const digests = storeDigests(dataDir);
      const undo = makeReadOnly(dataDir);
      try {
        const error = await openError(dataDir);
        expect(error.code).toBe('OPEN_FAILED');
        // The first store opened is the scheduler's: SQLite cannot create its -shm file beside it.
        const file = storeFile(dataDir, 'scheduler');
        expect(error.message).toContain(`cannot open store scheduler at ${file}`);
        expect(error.message).toMatch(new RegExp(`${dirname(file)} is not writable \\((read-only file system|permission denied)\\)`));
        // The failed open left nothing open (it used to leak the connection whose WAL pragma failed).
        expect(openFilesUnder(dataDir)).toEqual([]);

        // A new installation in a read-only place: the writer lock cannot be created; named too.
        const fresh = join(dataDir, 'fresh');
        const lockError = await openError(fresh);
        expect(lockError.code).toBe('OPEN_FAILED');
        expect(lockError.message).toContain(`cannot take the writer lock ${join(fresh, 'piri-db.lock')}`);
        expect(lockError.message).toMatch(/is not writable \((read-only file system|permission denied)\)/);
      } finally {
        undo();
      }
      expect(storeDigests(dataDir)).toEqual(digests);
      await expectIntact(dataDir, before);
    },
  );

  it('a file that is not a database: open fails naming it, touches nothing, and the rest is intact', async () => {
    const dataDir = tempDir('piri-db-fault-notdb-');
    const before = await installation(dataDir);
    const file = storeFile(dataDir, 'aggregator');
    renameSync(file, `${file}.orig`);
    writeFileSync(file, randomBytes(64 * 1024));
    const digests = storeDigests(dataDir);

    const error = await openError(dataDir);
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain(`cannot open store aggregator at ${file}: file is not a database`);
    expect(openFilesUnder(dataDir)).toEqual([]);
    // Not one byte written: not to the foreign file, not to the stores opened before it.
    expect(storeDigests(dataDir)).toEqual(digests);
    expect(existsSync(`${file}-wal`)).toBe(false);

    renameSync(`${file}.orig`, file);
    await expectIntact(dataDir, before);
  });

  it('a truncated database file: open fails naming it, and the installation is intact once the file is restored', async () => {
    const dataDir = tempDir('piri-db-fault-trunc-');
    const before = await installation(dataDir, 2_000);
    const file = storeFile(dataDir, 'replicator');
    // Closed cleanly: everything is in the main file, there is no WAL to replay.
    expect(existsSync(`${file}-wal`)).toBe(false);
    copyFileSync(file, `${file}.orig`);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(64 * 4096);
    truncateSync(file, Math.floor(size / 2));
    const digests = storeDigests(dataDir);

    const error = await openError(dataDir);
    expect(error.code).toBe('OPEN_FAILED');
    expect(error.message).toContain(`cannot open store replicator at ${file}: database disk image is malformed`);
    expect(openFilesUnder(dataDir)).toEqual([]);
    expect(storeDigests(dataDir)).toEqual(digests);

    renameSync(`${file}.orig`, file);
    await expectIntact(dataDir, before);
  });

  it('a page damaged in the middle of a file: the queue operation that reads it fails naming the file; other stores go on', async () => {
    const dataDir = tempDir('piri-db-fault-page-');
    const before = await installation(dataDir, 2_000);
    const file = storeFile(dataDir, 'replicator');
    copyFileSync(file, `${file}.orig`);
    const pageSize = 4096;
    const pages = statSync(file).size / pageSize;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, Math.floor(pages / 2) * pageSize);
    closeSync(fd);

    // Page 1 and the schema are fine: the store opens. The queue's statements walk the damaged page.
    await withOpen(dataDir, async (dbs) => {
      const replication = dbs.replicator.queue('replication');
      const failures = await Promise.all([replication.stats(), replication.receiveMany(5_000)].map((p) => p.then(() => undefined, (e: unknown) => e)));
      const failure = failures.find((e) => e !== undefined);
      expect(failure).toBeInstanceOf(PiriDbError);
      expect((failure as PiriDbError).code).toBe('STORAGE_FAILED');
      expect((failure as Error).message).toMatch(new RegExp(`^store replicator at ${file}: .*\\(SQLITE_CORRUPT`));
      // The damage stays with its store: another store's queue works on the same instance.
      expect(await dbs.egressTracker.queue('egress-tracker').send(encode('egress-track-task', Buffer.from('after')))).toMatch(/^m_/);
    });

    // Put the good copy back, as an operator restores a file: without the damaged file's -wal and -shm.
    for (const leftover of [`${file}-wal`, `${file}-shm`]) if (existsSync(leftover)) unlinkSync(leftover);
    renameSync(`${file}.orig`, file);
    await withOpen(dataDir, async (dbs) => {
      const now = await contents(dbs);
      expect(now['egress_tracker.jobqueue']).toHaveLength(before['egress_tracker.jobqueue']!.length + 1);
      expect({ ...now, 'egress_tracker.jobqueue': [] }).toEqual({ ...before, 'egress_tracker.jobqueue': [] });
      expect(integrity(dbs)).toEqual(ALL_OK);
    });
  });

  it.skipIf(tmpfs.skip !== undefined)(
    `a full disk: writes fail with SQLITE_FULL naming the file, the failed batch is not half there, and after space is freed the same instance goes on and nothing is lost${tmpfs.skip ? ` (skipped: ${tmpfs.skip})` : ''}`,
    async () => {
      const mountPoint = tempDir('piri-db-fault-full-');
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
      try {
        const dataDir = join(mountPoint, 'data');
        const filler = join(mountPoint, 'filler');
        const dbs = await openDatabases(configFor(dataDir));
        try {
          await seed(dbs);
          const before = await contents(dbs);

          // Fill the file system to the last byte.
          const fd = openSync(filler, 'w');
          for (const size of [64 * 1024, 4096, 1]) {
            const chunk = Buffer.alloc(size, 7);
            for (;;) {
              try {
                writeSync(fd, chunk);
              } catch (error) {
                expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
                break;
              }
            }
          }
          closeSync(fd);

          // Send until the store cannot grow. Each batch is one transaction, marked so it can be looked for.
          const replication = dbs.replicator.queue('replication');
          const file = storeFile(dataDir, 'replicator');
          let failure: unknown;
          let failedBatch = -1;
          for (let batch = 0; batch < 1_000 && failure === undefined; batch++) {
            const bodies = Array.from({ length: 50 }, (_, i) => encode('transfer-task', Buffer.from(`full-${batch}-${i}-${'x'.repeat(400)}`)));
            await replication.sendMany(bodies).catch((error: unknown) => {
              failure = error;
              failedBatch = batch;
            });
          }
          expect(failure).toBeInstanceOf(PiriDbError);
          expect((failure as PiriDbError).code).toBe('STORAGE_FAILED');
          expect((failure as Error).message).toBe(`store replicator at ${file}: database or disk is full (SQLITE_FULL)`);

          // The scheduler's transactions name their file too, and a failed one leaves none of its rows.
          const scheduler = schedulerSql(dbs.scheduler);
          const schedulerFile = storeFile(dataDir, 'scheduler');
          const addTasks = (batch: number) =>
            scheduler.transaction(async (tx) => {
              for (let i = 0; i < 50; i++) await tx.tasks.insert({ name: `full-${batch}-${i}-${'t'.repeat(400)}`, addedBy: 'fault test', nowMs: Date.now() });
            });
          let schedulerFailure: unknown;
          let failedSchedulerBatch = -1;
          for (let batch = 0; batch < 1_000 && schedulerFailure === undefined; batch++) {
            await addTasks(batch).catch((error: unknown) => {
              schedulerFailure = error;
              failedSchedulerBatch = batch;
            });
          }
          expect(schedulerFailure).toBeInstanceOf(PiriDbError);
          expect((schedulerFailure as PiriDbError).code).toBe('STORAGE_FAILED');
          expect((schedulerFailure as Error).message).toBe(`store scheduler at ${schedulerFile}: database or disk is full (SQLITE_FULL)`);
          expect(scheduler.classifyError(schedulerFailure)).toBe('other');

          // The worker runtime logs such a failure with the store's file in it (a claim or a delete, whichever hits).
          const logs: { message: string; fields: LogFields }[] = [];
          const logger: JobQueueLogger = { warn: () => {}, error: (message, fields) => logs.push({ message, fields }) };
          const runtime = createJobQueue(dbs.aggregator.queue('compute_commp'), { maxWorkers: 2, pollIntervalMs: 20, logger });
          runtime.register('compute_commp', () => {});
          runtime.start();
          const aggregatorFile = storeFile(dataDir, 'aggregator');
          const logged = await waitFor('the runtime to log a write that failed for lack of space', () =>
            logs.find((l) => String(l.fields.error).includes(`store aggregator at ${aggregatorFile}: database or disk is full (SQLITE_FULL)`)),
          );
          expect(logged.message).toMatch(/^could not (claim messages|delete completed messages)/);
          // Space comes back: the same instance goes on, nothing reopened.
          unlinkSync(filler);
          await runtime.stop({ timeoutMs: 10_000 });
          const after = await replication.send(encode('transfer-task', Buffer.from('after the disk was freed')));
          expect(after).toMatch(/^m_/);
          await addTasks(failedSchedulerBatch + 1);
          const { connection } = dbs.scheduler;
          if (connection.dialect !== 'sqlite') throw new Error('a SQLite installation');
          const taskNames = connection.client.prepare<[], { name: string }>('SELECT name FROM task').all().map((r) => r.name);
          expect(taskNames.filter((name) => name.startsWith(`full-${failedSchedulerBatch}-`))).toEqual([]);
          expect(taskNames.filter((name) => name.startsWith(`full-${failedSchedulerBatch + 1}-`))).toHaveLength(50);

          const now = await contents(dbs);
          const marked = (await tableRows(dbs.replicator, 'jobqueue')).filter((r) => Buffer.from(r.body).toString().includes(`full-${failedBatch}-`));
          expect(marked).toEqual([]);
          // Everything committed before the disk filled is still there (the runtime may have completed some
          // compute_commp jobs since: those are gone by design, so that queue is compared as a subset).
          for (const [table, rows] of Object.entries(before)) {
            if (table === 'aggregator.jobqueue') expect(before[table]).toEqual(expect.arrayContaining(now[table]!));
            else expect(now[table]).toEqual(expect.arrayContaining(rows));
          }
          expect(now['replicator.jobqueue']!.length).toBeGreaterThan(before['replicator.jobqueue']!.length);
          expect(integrity(dbs)).toEqual(ALL_OK);
          await dbs.close();
          // And once more from the files alone, after a clean close.
          await withOpen(dataDir, async (again) => {
            expect(await contents(again)).toEqual(now);
            expect(integrity(again)).toEqual(ALL_OK);
          });
        } finally {
          await dbs.close();
        }
      } finally {
        if (tryRun('umount', [mountPoint]) !== undefined) execFileSync('umount', ['-l', mountPoint]);
      }
    },
  );
});
