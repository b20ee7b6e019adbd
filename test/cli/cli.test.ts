import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { storeTables } from '../../src/operations/catalog.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { runCli } from '../support/child.ts';
import { createDatabase, forEachBackend, tempDir } from '../support/installations.ts';

const password = () => decodeURIComponent(new URL(inject('postgresUrl')).password);

async function flagsFor(backend: 'sqlite' | 'postgres'): Promise<string[]> {
  const flags = ['--data-dir', tempDir()];
  return backend === 'sqlite' ? flags : [...flags, '--db-type', 'postgres', '--db-postgres-url', await createDatabase()];
}

forEachBackend('piri-db CLI', (backend) => {
  it('status on a new installation creates nothing and lists every migration as pending', async () => {
    const flags = await flagsFor(backend);
    const result = await runCli(['status', '--json', ...flags]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status.backend).toBe(backend);
    expect(status.stores.map((s: { store: string }) => s.store)).toEqual(['scheduler', 'replicator', 'aggregator', 'egress_tracker']);
    for (const store of status.stores) {
      expect(store.exists).toBe(false);
      expect(store.pendingMigrations.length).toBeGreaterThan(0);
    }
  });

  it('migrate applies everything; status then shows tables, row counts and nothing pending', async () => {
    const flags = await flagsFor(backend);
    const migrated = await runCli(['migrate', ...flags]);
    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toContain('scheduler: ');
    const status = JSON.parse((await runCli(['status', '--json', ...flags])).stdout);
    const scheduler = status.stores.find((s: { store: string }) => s.store === 'scheduler');
    expect(scheduler.pendingMigrations).toEqual([]);
    // Piri's 18 tables, and any the schema files add.
    expect(scheduler.tables).toHaveLength(storeTables(STORES[0]!).length);
    expect(scheduler.tables.length).toBeGreaterThanOrEqual(18);
    expect(scheduler.tables).toContainEqual({ name: 'task', rows: 0 });
    const text = await runCli(['status', ...flags]);
    // PostgreSQL's aggregator has two migrations more: the dedup_send function and the queue's fillfactor.
    const aggregatorMigrations = backend === 'postgres' ? 6 : 3;
    expect(text.stdout).toMatch(new RegExp(`aggregator .*\\n {2}migrations {2}${aggregatorMigrations} applied, 0 pending\\n {2}tables {6}7, 0 row\\(s\\)`));
    if (backend === 'postgres') expect(text.stdout + JSON.stringify(status)).not.toContain(password());
  });
});

it('start boots the default SQLite installation and a second run shows the state kept', async () => {
  const env = { PIRI_REPO_DATA_DIR: tempDir() };
  const first = await runCli(['start'], env);
  expect(first).toMatchObject({ code: 0, stderr: '' });
  expect(first.stdout).toMatch(/^booted 4 stores on sqlite in \d+ ms/);
  const second = await runCli(['start'], env);
  expect(second.stdout).toContain('recorded  sqlite (piri-db.json)');
  expect(second.stdout).toContain('migrations  3 applied, 0 pending');
});

it('a bad flag value is one line naming the key, exit 2', async () => {
  const result = await runCli(['status', '--db-type', 'mysql', '--data-dir', tempDir()]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain('repo.database.type');
});

it('a configuration value out of range names the flag it came from, exit 2, before anything is opened', async () => {
  // A pool of 2^32 used to reach postgres-js, which threw `Invalid array length` (exit 1).
  const url = 'postgres://piri:s3cret@127.0.0.1:1/none';
  const args = ['migrate', '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', url];
  const result = await runCli([...args, '--db-postgres-max-open-conns', '4294967296']);
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(
    'repo.database.postgres.max_open_conns: "4294967296" from flag --db-postgres-max-open-conns: out of range',
  );
  expect(result.stderr).not.toContain('s3cret');
  const missing = await runCli(['status', '--config', join(tempDir(), 'absent.toml')]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toMatch(/cannot read the config file .*absent\.toml \(from flag --config\)/);
});

it('a damaged backend marker is one line naming the file, exit 1', async () => {
  const dataDir = tempDir();
  writeFileSync(join(dataDir, 'piri-db.json'), '');
  const result = await runCli(['status', '--data-dir', dataDir]);
  expect(result.code).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(`the backend marker ${join(dataDir, 'piri-db.json')} is empty`);
});

it('an unknown command or argument is a usage error', async () => {
  expect((await runCli(['frobnicate'])).code).toBe(2);
  expect((await runCli(['status', 'extra'])).stderr).toMatch(/^piri-db: too many arguments for 'status'\. Expected 0 arguments but got 1\.\n$/);
});

it('an unreachable server is one line without the password, exit 1', async () => {
  const url = 'postgres://piri:Hunter2-Very-Secret@127.0.0.1:1/piri';
  for (const command of ['status', 'migrate']) {
    const result = await runCli([command, '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', url]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('cannot use PostgreSQL at postgres://piri:***@127.0.0.1:1/piri');
    expect(result.stderr + result.stdout).not.toContain('Hunter2');
  }
});

it('a wrong password is refused without echoing either password', async () => {
  const url = new URL(await createDatabase());
  url.password = 'Wrong-Pass-777';
  const result = await runCli(['migrate', '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', url.toString()]);
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@/);
  expect(result.stderr).not.toContain('Wrong-Pass-777');
  expect(result.stderr).not.toContain(password());
});
