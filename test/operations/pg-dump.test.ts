/**
 * The pg_dump path of backup, which needs a server of pg_dump's own major version: the run's server
 * (embedded PostgreSQL 18) is newer than this machine's pg_dump, so this file starts a server from the
 * PostgreSQL installation pg_dump belongs to, when there is one (Debian's /usr/lib/postgresql/<major>/bin).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { backupInstallation } from '../../src/operations/backup.ts';
import { runDoctor } from '../../src/operations/doctor.ts';
import { findPgTool } from '../../src/operations/postgres/pg-tools.ts';
import { OperationError } from '../../src/errors.ts';
import { restoreInstallation } from '../../src/operations/restore.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { appMigrations, bootApp } from '../support/app-migrations.ts';
import { spawnFixture } from '../support/child.ts';
import { tempDir, withSql } from '../support/installations.ts';
import { counts, dump, seed } from './support.ts';
import { freePort } from '../support/ports.ts';

const PASSWORD = 'pw-Dump-9137';
const tool = await findPgTool('pg_dump');
const bin = tool && `/usr/lib/postgresql/${tool.major}/bin`;
const available = bin !== undefined && existsSync(`${bin}/initdb`) && existsSync(`${bin}/pg_ctl`);

/** initdb refuses to run as root: run the server as the `postgres` user then. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
}

describe.skipIf(!available)(`backup with pg_dump ${tool?.version ?? '(none)'} against PostgreSQL ${tool?.major ?? '?'}`, () => {
  const dir = tempDir('piri-db-pg-dump-');
  const data = join(dir, 'data');
  const user = serverUser();
  const run = (command: string, args: string[]) => {
    const result = spawnSync(`${bin}/${command}`, args, { ...user, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command}: ${result.stderr}`);
  };
  let base = '';
  let databases = 0;

  beforeAll(async () => {
    if (user) chownSync(dir, user.uid, user.gid);
    const pwfile = join(dir, 'pw');
    writeFileSync(pwfile, PASSWORD);
    if (user) chownSync(pwfile, user.uid, user.gid);
    run('initdb', ['-D', data, '-U', 'piri', '--auth=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    run('pg_ctl', ['-D', data, '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start']);
    base = `postgres://piri:${PASSWORD}@127.0.0.1:${port}`;
  }, 60_000);

  afterAll(() => {
    if (base) run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']);
  });

  async function installation() {
    const name = `piri_dump_${++databases}`;
    const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return loadConfig({ env: {}, dataDir: tempDir(), database: { type: 'postgres', postgres: { url: `${base}/${name}` } } });
  }

  it('dumps the snapshot the manifest was computed from, while a writer inserts, and pg_restore brings it back verified', async () => {
    const source = await installation();
    await (await openDatabases(source)).close();
    const writer = spawnFixture('writer.ts', source);
    let backup;
    try {
      await writer.next('writing');
      backup = await backupInstallation(source, join(tempDir(), 'backup'));
    } finally {
      writer.process.kill('SIGKILL');
      await writer.exit;
    }
    expect(backup.manifest.method).toBe('pg_dump');
    expect(backup.methodNote).toBe(`pg_dump ${tool!.version} (server PostgreSQL ${tool!.major})`);
    expect(backup.manifest.pgDump).toMatchObject({ file: 'postgres.dump', pgDumpVersion: tool!.version, serverVersion: tool!.major });

    const target = await installation();
    await (await openDatabases(target)).close(); // an installation that booted once, still empty
    const restored = await restoreInstallation(target, backup.dir);
    expect(restored.method).toBe('pg_dump');
    const got = counts(await dump(target));
    expect(got).toEqual(Object.fromEntries(backup.manifest.stores.flatMap((s) => s.tables.map((t) => [`${s.store}.${t.name}`, t.rows]))));
    expect(got['scheduler.parked_piece_refs']).toBe(got['scheduler.parked_pieces']);
    expect((await runDoctor(target)).ok).toBe(true);
    expect(JSON.stringify(backup.manifest)).not.toContain(PASSWORD);
  });

  it("leaves the journal of an application's own drizzle migrations in the database alone", async () => {
    const appJournal = async (config: Config) => {
      if (config.database.type !== 'postgres') throw new Error('unreachable');
      const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
      try {
        return (await sql<{ created_at: string }[]>`SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id`).map((r) => Number(r.created_at));
      } finally {
        await sql.end();
      }
    };
    const source = await installation();
    await bootApp(source, appMigrations('postgres', 1));
    await (await openDatabases(source)).close();
    const backup = await backupInstallation(source, join(tempDir(), 'backup'));
    expect(backup.manifest.method).toBe('pg_dump');
    // The application's next release has migrated the target before piri-db's data is restored beside it.
    const target = await installation();
    await bootApp(target, appMigrations('postgres', 2));
    await restoreInstallation(target, backup.dir);
    expect(await appJournal(target)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
    expect((await runDoctor(target)).ok).toBe(true);
  });

  it("carries an application's table of a store schema beside the archive, or leaves it out, and leaves schema drizzle alone", async () => {
    const source = await installation();
    await (await openDatabases(source)).close();
    await bootApp(source, appMigrations('postgres', 1));
    await withSql(source, async (sql) => {
      await sql.unsafe('CREATE TABLE replicator.app_events (id serial PRIMARY KEY, kind text NOT NULL, at timestamptz DEFAULT now())');
      await sql.unsafe(`INSERT INTO replicator.app_events (kind) VALUES ('a'), ('b')`);
    });
    const events = (config: Config) => withSql(config, (sql) => sql.unsafe('SELECT id, kind, at FROM replicator.app_events ORDER BY id').then((rows) => [...rows]));

    const carried = await backupInstallation(source, join(tempDir(), 'backup'));
    expect(carried.manifest.method).toBe('pg_dump');
    expect(carried.appTables).toEqual([{ store: 'replicator', table: 'app_events', action: 'carried', rows: 2 }]);
    const target = await installation();
    const restored = await restoreInstallation(target, carried.dir);
    expect(restored.appTables).toEqual([{ store: 'replicator', table: 'app_events', action: 'carried', rows: 2 }]);
    expect(await events(target)).toEqual(await events(source));
    const [next] = await withSql(target, (sql) => sql.unsafe(`INSERT INTO replicator.app_events (kind) VALUES ('c') RETURNING id`));
    expect(next!.id).toBe(3);
    expect((await runDoctor(target)).ok).toBe(true);

    const skipped = await backupInstallation(source, join(tempDir(), 'backup'), { appTables: 'skip' });
    expect(skipped.appTables).toEqual([{ store: 'replicator', table: 'app_events', action: 'skipped' }]);
    const bare = await installation();
    expect((await restoreInstallation(bare, skipped.dir)).appTables).toEqual([{ store: 'replicator', table: 'app_events', action: 'skipped' }]);
    const tables = await withSql(bare, (sql) => sql.unsafe(`SELECT table_schema FROM information_schema.tables WHERE table_name IN ('app_events', '__drizzle_migrations')`));
    expect(tables).toEqual([]);
  });

  it("restores beside a table the application already made in a store schema of the target: a carry onto it is refused, a skip keeps it", async () => {
    const appTable = (config: Config) => withSql(config, (sql) => sql.unsafe(`CREATE TABLE replicator.app_events (id serial PRIMARY KEY, kind text)`));
    const source = await installation();
    await (await openDatabases(source)).close();
    await appTable(source);
    await withSql(source, (sql) => sql.unsafe(`INSERT INTO replicator.app_events (kind) VALUES ('from the source')`));
    const backup = await backupInstallation(source, join(tempDir(), 'backup'));
    expect(backup.manifest.method).toBe('pg_dump');

    const target = await installation();
    await (await openDatabases(target)).close();
    await appTable(target);
    const clash = await restoreInstallation(target, backup.dir).catch((error: unknown) => error as OperationError);
    expect(clash).toMatchObject({ code: 'TARGET_NOT_EMPTY' });
    expect((clash as OperationError).message).toContain('replicator.app_events');
    expect((clash as OperationError).message).toContain('--app-tables skip');

    const restored = await restoreInstallation(target, backup.dir, { appTables: 'skip' });
    expect(restored.appTables).toEqual([{ store: 'replicator', table: 'app_events', action: 'skipped' }]);
    expect(await withSql(target, (sql) => sql.unsafe('SELECT count(*)::int AS n FROM replicator.app_events'))).toEqual([{ n: 0 }]);
    expect((await runDoctor(target)).ok).toBe(true);
  });

  it('round-trips every kind of value exactly', async () => {
    const source = await installation();
    await seed(source);
    const before = await dump(source);
    const backup = await backupInstallation(source, join(tempDir(), 'backup'));
    expect(backup.manifest.method).toBe('pg_dump');
    const target = await installation();
    await restoreInstallation(target, backup.dir);
    expect(await dump(target)).toEqual(before);
  });
});
