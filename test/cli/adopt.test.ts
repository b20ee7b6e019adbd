import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { runCli } from '../support/child.ts';
import { tempDir } from '../support/installations.ts';
import { createPiriInstallation } from '../support/piri-installation.ts';

describe('piri-db adopt', () => {
  it('has help with an example', async () => {
    const help = await runCli(['adopt', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dry-run');
    expect(help.stdout).toContain('--backup-dir <dir>');
    expect(help.stdout).toContain('$ piri-db adopt --data-dir ~/.storacha --dry-run');
  });

  it('--dry-run prints the plan; adopt then takes over, prints the report, --json for scripts; status no longer says Piri', async () => {
    const dataDir = tempDir();
    await createPiriInstallation(loadConfig({ env: {}, dataDir }));
    const status = await runCli(['status', '--data-dir', dataDir]);
    expect(status.stdout).toContain('a Piri installation, not yet adopted: run `piri-db adopt`');

    const dry = await runCli(['adopt', '--dry-run', '--data-dir', dataDir]);
    expect(dry).toMatchObject({ code: 0 });
    expect(dry.stdout).toMatch(/^dry run: SQLite in .* is a Piri v0\.2\.4 installation/);
    expect(dry.stdout).toContain("  would record 0000_init as applied: Piri's schema has its tables");
    expect(dry.stdout).toMatch(/\n {4}jobqueue\s+2 row\(s\)\n/);

    const backupDir = `${tempDir()}/backup`;
    const adopted = await runCli(['adopt', '--json', '--data-dir', dataDir, '--backup-dir', backupDir]);
    expect(adopted).toMatchObject({ code: 0 });
    const report = JSON.parse(adopted.stdout);
    expect(report).toMatchObject({ backend: 'sqlite', dryRun: false, backupDir, doctor: { ok: true } });
    expect((await runCli(['status', '--data-dir', dataDir])).stdout).not.toContain('piri-db adopt');

    const again = await runCli(['adopt', '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is a piri-db installation already: nothing to adopt/);
  });
});
