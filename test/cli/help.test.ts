import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/child.ts';
import { tempDir } from '../support/installations.ts';

const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version as string;

describe.concurrent('piri-db help, version and usage errors', () => {
  it('--version prints the package version', async ({ expect }) => {
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('ends quietly with exit 0 when the reader of its output has gone (EPIPE)', async ({ expect }) => {
    for (const args of [['help'], ['--version']]) {
      expect(await runCli(args, {}, { closedStdout: true })).toEqual({ code: 0, stdout: '', stderr: '' });
    }
  });

  it('help and --help list every command and the exit codes', async ({ expect }) => {
    for (const args of [['help'], ['--help']]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      for (const command of ['start', 'migrate', 'status', 'config', 'doctor', 'backup', 'restore', 'copy', 'adopt', 'queue']) {
        expect(result.stdout).toMatch(new RegExp(`\\n  ${command} `));
      }
      expect(result.stdout).toContain('Exit codes: 0 done, 1 failed');
    }
  });

  it('help <command> and <command> --help show its flags and an example', async ({ expect }) => {
    const help = await runCli(['help', 'backup']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: piri-db backup \[options\]/);
    expect(help.stdout).toContain('--out <dir>');
    expect(help.stdout).toContain('--data-dir <dir>');
    expect(help.stdout).toMatch(/\nExample:\n {2}\$ piri-db backup --out /);
    expect(await runCli(['backup', '--help'])).toEqual(help);
    const copy = await runCli(['copy', '--help']);
    expect(copy.stdout).toContain('--from-data-dir <dir>');
    expect(copy.stdout).toContain('--to-db-postgres-url <url>');
    expect(copy.stdout).not.toMatch(/ --data-dir /);
    const dead = await runCli(['queue', 'dead', 'purge', '--help']);
    expect(dead.stdout).toContain('--all');
    expect(dead.stdout).toMatch(/\nExample:\n {2}\$ piri-db queue dead purge /);
  });

  it('a mistyped command is refused with a suggestion, exit 2', async ({ expect }) => {
    expect(await runCli(['stauts'])).toEqual({ code: 2, stdout: '', stderr: "piri-db: unknown command 'stauts' (Did you mean status?)\n" });
  });

  it('a mistyped or misplaced flag is refused naming it, exit 2', async ({ expect }) => {
    expect(await runCli(['status', '--data-dri', 'x'])).toEqual({
      code: 2,
      stdout: '',
      stderr: "piri-db: unknown option '--data-dri' (Did you mean --data-dir?)\n",
    });
    const missing = await runCli(['status', '--data-dir']);
    expect(missing).toMatchObject({ code: 2, stderr: "piri-db: option '--data-dir <dir>' argument missing\n" });
  });
});

describe('doctor --json', () => {
  it('prints JSON also when a store file is not a database, exit 1', async () => {
    const dataDir = tempDir();
    expect((await runCli(['migrate', '--data-dir', dataDir])).code).toBe(0);
    writeFileSync(join(dataDir, 'replicator/replicator.db'), 'not a database at all');
    const result = await runCli(['doctor', '--json', '--data-dir', dataDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, checks: [] });
    expect(report.error).toContain('replicator.db');
  });
});

describe('config', () => {
  it('prints each effective value and where it came from, the password masked', async () => {
    const dataDir = tempDir();
    const file = join(tempDir(), 'piri.toml');
    writeFileSync(file, '[repo.database.postgres]\nmax_open_conns = 9\n');
    const url = 'postgres://piri:Hunter2-Very-Secret@db.example:5432/piri';
    const env = { PIRI_REPO_DATABASE_POSTGRES_URL: url, PIRI_CONFIG: file };
    const direct = 'postgres://piri:Hunter2-Very-Secret@db-direct.example:5432/piri';
    const text = await runCli(['config', '--data-dir', dataDir, '--db-type', 'postgres', '--db-postgres-direct-url', direct], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^repo\\.data_dir +${dataDir} +\\(flag --data-dir\\)$`, 'm'));
    expect(text.stdout).toMatch(/^repo\.database\.type +postgres +\(flag --db-type\)$/m);
    expect(text.stdout).toMatch(
      /^repo\.database\.postgres\.url +postgres:\/\/piri:\*\*\*@db\.example:5432\/piri +\(environment variable PIRI_REPO_DATABASE_POSTGRES_URL\)$/m,
    );
    expect(text.stdout).toMatch(
      /^repo\.database\.postgres\.direct_url +postgres:\/\/piri:\*\*\*@db-direct\.example:5432\/piri +\(flag --db-postgres-direct-url\)$/m,
    );
    expect(text.stdout).toMatch(new RegExp(`^repo\\.database\\.postgres\\.max_open_conns +9 +\\(file ${file}\\)$`, 'm'));
    expect(text.stdout).toMatch(/^repo\.database\.postgres\.max_idle_conns +5 +\(default\)$/m);
    expect(text.stdout + text.stderr).not.toContain('Hunter2');

    const json = JSON.parse((await runCli(['config', '--json'], env)).stdout);
    expect(json.configFile).toBe(file);
    expect(json.values['repo.data_dir']).toEqual({ value: join(process.cwd(), 'data'), from: 'default of the piri-db CLI' });
    expect(JSON.stringify(json)).not.toContain('Hunter2');
  });
});
