import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { backupInstallation } from '../../src/operations/backup.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { seed } from '../operations/support.ts';
import { appMigrations, bootApp } from '../support/app-migrations.ts';
import { runCli } from '../support/child.ts';
import { createDatabase, forEachBackend, freshConfig, tempDir } from '../support/installations.ts';

const UNREACHABLE = 'postgres://piri:Hunter2-Very-Secret@127.0.0.1:1/piri';

async function flagsFor(backend: 'sqlite' | 'postgres'): Promise<string[]> {
  const flags = ['--data-dir', tempDir()];
  return backend === 'sqlite' ? flags : [...flags, '--db-type', 'postgres', '--db-postgres-url', await createDatabase()];
}

function flagsOf(config: Config): string[] {
  const flags = ['--data-dir', config.dataDir];
  return config.database.type === 'sqlite' ? flags : [...flags, '--db-type', 'postgres', '--db-postgres-url', config.database.postgres.url];
}

function oneLine(result: { code: number | null; stdout: string; stderr: string }, code: number): string {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

it('--app-tables carry|skip on backup, restore and copy: reported in text and --json; any other value is a usage error naming the flag', async () => {
  const source = await freshConfig('sqlite');
  await (await openDatabases(source)).close();
  await bootApp(source, appMigrations('sqlite', 1));
  for (const command of [['backup', '--out', join(tempDir(), 'x')], ['restore', '--from', tempDir()], ['copy', '--to-db-type', 'sqlite']]) {
    const wrong = await runCli([...command, '--app-tables', 'keep', ...flagsOf(source)]);
    expect(oneLine(wrong, 2)).toMatch(/^piri-db: option '--app-tables <mode>' argument 'keep' is invalid\. Allowed choices are carry, skip\./);
  }
  const out = join(tempDir(), 'b');
  const backup = await runCli(['backup', '--out', out, '--app-tables', 'skip', '--json', ...flagsOf(source)]);
  expect(backup).toMatchObject({ code: 0 });
  expect(JSON.parse(backup.stdout).appTables).toEqual([
    { store: 'replicator', table: '__drizzle_migrations', action: 'skipped' },
    { store: 'replicator', table: 'app_notes', action: 'skipped' },
  ]);
  const carried = await runCli(['backup', '--out', join(tempDir(), 'c'), ...flagsOf(source)]);
  expect(carried.stdout).toContain("\napplication's tables: replicator.__drizzle_migrations carried (1 row(s)), replicator.app_notes carried (0 row(s))\n");
  const restore = await runCli(['restore', '--from', out, ...flagsOf(await freshConfig('sqlite'))]);
  expect(restore.stdout).toContain("\napplication's tables: replicator.__drizzle_migrations skipped, replicator.app_notes skipped\n");
  const copy = await runCli(['copy', '--to-db-type', 'postgres', '--to-db-postgres-url', await createDatabase(), '--app-tables', 'skip', '--json', ...flagsOf(source).map((f) => f.replace(/^--/, '--from-'))]);
  expect(copy).toMatchObject({ code: 0 });
  expect(JSON.parse(copy.stdout).appTables.map((t: { action: string }) => t.action)).toEqual(['skipped', 'skipped']);
});

forEachBackend('piri-db doctor, backup, restore', (backend) => {
  it('doctor: one line per check, exit 0 when healthy, --json for scripts, exit 1 on a failing check', async () => {
    const flags = await flagsFor(backend);
    expect((await runCli(['migrate', ...flags])).code).toBe(0);
    const text = await runCli(['doctor', ...flags]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toMatch(/^ok {4}-\s+backend: /);
    expect(text.stdout).toMatch(/\nok {4}scheduler\s+triggers: 5 present\n/);
    expect(text.stdout).toMatch(/\ndoctor: .*: 0 failed, \d+ warning\(s\), \d+ ok\n$/);
    const json = JSON.parse((await runCli(['doctor', '--json', ...flags])).stdout);
    expect(json).toMatchObject({ backend, ok: true });

    const drop =
      backend === 'sqlite'
        ? undefined
        : postgres(flags[flags.indexOf('--db-postgres-url') + 1]!, { max: 1, onnotice: () => {} });
    if (drop) {
      await drop.unsafe('DROP TRIGGER jobqueue_updated_timestamp ON replicator.jobqueue');
      await drop.end();
    } else {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(join(flags[1]!, 'replicator/replicator.db'));
      db.exec('DROP TRIGGER jobqueue_updated_timestamp');
      db.close();
    }
    const failing = await runCli(['doctor', ...flags]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/\nfail {2}replicator\s+triggers: missing: jobqueue_updated_timestamp/);
    expect(failing.stdout).toMatch(/: 1 failed,/);
  });

  it('backup --out, then restore --from into an empty installation', async () => {
    const source = await freshConfig(backend);
    await seed(source);
    const out = join(tempDir(), 'b');
    const backup = await runCli(['backup', '--out', out, ...flagsOf(source)]);
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.stdout).toMatch(new RegExp(`^backup of ${backend} .* written to ${out}\\nmethod: (sqlite-online-backup|logical|pg_dump) \\(`));
    expect(backup.stdout).toMatch(/\n {2}scheduler\s+\d+ row\(s\) in \d+ tables, \d+ migration\(s\)/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).backend).toBe(backend);

    const target = flagsOf(await freshConfig(backend));
    const restore = await runCli(['restore', '--from', out, '--json', ...target]);
    expect(restore).toMatchObject({ code: 0 });
    expect(JSON.parse(restore.stdout)).toMatchObject({ backend, from: out, rows: expect.any(Number) });
    const again = await runCli(['restore', '--from', out, ...target]);
    expect(oneLine(again, 1)).toMatch(/^piri-db: refusing to restore into .*: it already holds data \(scheduler\./);
  });
});

describe('piri-db copy', () => {
  it('copies SQLite to Postgres in place, with progress as plain lines on stderr when it is not a terminal', async () => {
    const source = await freshConfig('sqlite');
    await seed(source);
    const dataDir = source.dataDir;
    const url = await createDatabase();
    const result = await runCli(['copy', '--to-db-type', 'postgres', '--to-db-postgres-url', url], { PIRI_REPO_DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^copied \d+ row\(s\) .* from sqlite .* to postgres postgres:\/\/piri:\*\*\*@/);
    expect(result.stdout).toContain(`recorded postgres as the backend in ${join(dataDir, 'piri-db.json')} (switched in place from sqlite)`);
    expect(result.stdout).toContain('archive them');
    expect(result.stderr).toMatch(/^copy: copying a snapshot of SQLite in .* \(\d+ tables\)$/m);
    expect(result.stderr).toMatch(/^copy: scheduler\.task 2\/2 rows \(\d+% of all rows, (\d+ rows\/s, ETA \d+s|rate -, ETA -)\)$/m);
    // The verify phase reads every row back: it reports its progress too.
    const verifying = result.stderr.slice(result.stderr.search(/^copy: verifying \d+ tables in /m));
    expect(verifying).toMatch(/^copy: verifying \d+ tables in /);
    expect(verifying).toMatch(/^copy: scheduler\.task 2\/2 rows \(\d+% of all rows, /m);
    expect(result.stderr).not.toContain('\r');
    const password = decodeURIComponent(new URL(url).password);
    expect(result.stdout + result.stderr).not.toContain(password);
    const status = JSON.parse((await runCli(['status', '--json', '--data-dir', dataDir, '--db-type', 'postgres', '--db-postgres-url', url])).stdout);
    expect(status.recorded).toEqual({ backend: 'postgres', source: 'marker' });

    const back = tempDir();
    const home = await runCli([
      'copy', '--to-db-type', 'sqlite', '--to-data-dir', back, '--json',
      '--from-data-dir', dataDir, '--from-db-type', 'postgres', '--from-db-postgres-url', url,
    ]);
    expect(home.code).toBe(0);
    expect(JSON.parse(home.stdout)).toMatchObject({ inPlace: false, to: { backend: 'sqlite', dataDir: back } });
  });
});

describe('operator commands refuse bad flags with one line naming the flag (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['copy'], /^piri-db: copy needs --to-db-type sqlite or --to-db-type postgres$/],
    [['copy', '--to-db-type', 'mysql'], /^piri-db: --to-db-type must be sqlite or postgres, got "mysql"$/],
    [['copy', '--to-db-type', 'postgres'], /^piri-db: copy --to-db-type postgres needs --to-db-postgres-url URL$/],
    [['copy', '--to-db-type', 'sqlite', '--to-db-postgres-url', 'postgres://h/db'], /^piri-db: --to-db-postgres-url only applies to --to-db-type postgres$/],
    [['copy', '--to-db-type', 'postgres', '--to-db-postgres-url', 'http://u:Hunter2-Very-Secret@h/db'], /^piri-db: .*from flag --to-db-postgres-url.*the scheme is http:/],
    [['copy', '--to-db-type', 'sqlite', '--batch-size', '0'], /^piri-db: --batch-size must be a positive integer, got "0"$/],
    [['copy', '--to-db-type', 'sqlite', '--data-dir', '/tmp/x'], /^piri-db: unknown option '--data-dir' \(Did you mean --to-data-dir\?\)$/],
    [['backup'], /^piri-db: backup needs --out DIR/],
    [['backup', '--out', '/tmp/x', '--method', 'fast'], /^piri-db: --method must be one of auto, pg_dump, logical, got "fast"$/],
    [['restore'], /^piri-db: restore needs --from DIR/],
    [['doctor', '--out', '/tmp/x'], /^piri-db: unknown option '--out'/],
    [['doctor', '--frobnicate'], /^piri-db: .*'--frobnicate'/],
    [['doctor', '--db-type', 'mysql'], /^piri-db: invalid configuration repo\.database\.type/],
  ];
  it.each(cases)('%j', async (args, message) => {
    // copy names its source with --from-*: --data-dir is not one of its flags.
    const line = oneLine(await runCli([...args, args[0] === 'copy' ? '--from-data-dir' : '--data-dir', tempDir()]), 2);
    expect(line).toMatch(message);
    expect(line).not.toContain('Hunter2');
  });
});

describe('operator commands on an unreachable server: one line, no password, exit 1', () => {
  it.each([['doctor'], ['backup', '--out', join(tempDir(), 'b')]])('%s', async (...args) => {
    const line = oneLine(await runCli([...args, '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', UNREACHABLE]), 1);
    expect(line).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@127\.0\.0\.1:1\/piri: /);
    expect(line).not.toContain('Hunter2');
  });

  it('restore', async () => {
    const source = await freshConfig('postgres');
    const out = join(tempDir(), 'b');
    await runCli(['migrate', '--data-dir', source.dataDir, '--db-type', 'postgres', '--db-postgres-url', (source.database as { postgres: { url: string } }).postgres.url]);
    await backupInstallation(source, out);
    const line = oneLine(await runCli(['restore', '--from', out, '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', UNREACHABLE]), 1);
    expect(line).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@127\.0\.0\.1:1\/piri: /);
  });

  it('copy to it, and copy from it', async () => {
    const dataDir = tempDir();
    await runCli(['migrate', '--data-dir', dataDir]);
    const to = oneLine(await runCli(['copy', '--to-db-type', 'postgres', '--to-db-postgres-url', UNREACHABLE, '--from-data-dir', dataDir]), 1);
    expect(to).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@127\.0\.0\.1:1\/piri: /);
    const from = oneLine(
      await runCli([
        'copy', '--to-db-type', 'sqlite', '--to-data-dir', tempDir(),
        '--from-data-dir', tempDir(), '--from-db-type', 'postgres', '--from-db-postgres-url', UNREACHABLE,
      ]),
      1,
    );
    expect(from).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@127\.0\.0\.1:1\/piri: /);
    expect(to + from).not.toContain('Hunter2');
  });
});
