import { type AdoptReport, adoptInstallation } from '../../operations/adopt/index.ts';
import { type CommandResult, type FlagValues, withProgress } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { progressDisplay } from '../progress.ts';

/** Takes over the Piri v0.2.4 installation the configuration names; exit 1 when doctor finds anything wrong after. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const config = configFromFlags(flags);
  const display = progressDisplay('adopt');
  const report = await withProgress(display, () =>
    adoptInstallation(config, {
      dryRun: flags['dry-run'] === true,
      onProgress: display.listener,
      ...(typeof flags['backup-dir'] === 'string' ? { backupDir: flags['backup-dir'] } : {}),
    }),
  );
  const exitCode = report.doctor && !report.doctor.ok ? 1 : 0;
  return { output: flags.json ? JSON.stringify(report, null, 2) : describe(report), exitCode };
}

function describe(report: AdoptReport): string {
  const lines = [
    report.dryRun
      ? `dry run: ${report.location} is a Piri ${report.piriVersion} installation nobody is using; adopt would change this (nothing was changed):`
      : `adopted the Piri ${report.piriVersion} installation in ${report.location}`,
    report.dryRun ? `backup: would be written to ${report.backupDir} first` : `backup: written to ${report.backupDir} first, verified (manifest.json)`,
  ];
  for (const store of report.stores) {
    lines.push('', `${store.store}`);
    for (const change of store.changes) lines.push(`  ${report.dryRun ? 'would ' : ''}${change}`);
    const width = Math.max(...store.tables.map((t) => t.table.length));
    for (const t of store.tables) {
      lines.push(`    ${t.table.padEnd(width)}  ${t.rowsBefore} row(s)${t.rowsAfter === undefined ? '' : ` before, ${t.rowsAfter} after`}`);
    }
  }
  if (report.marker) lines.push('', `recorded ${report.backend} as the backend in ${report.marker}`);
  if (report.doctor) {
    const failed = report.doctor.checks.filter((c) => c.status === 'fail');
    lines.push(
      failed.length === 0
        ? `doctor: ${report.doctor.checks.length} check(s), none failed; start piri-db on it as it is configured now`
        : `doctor: ${failed.length} check(s) failed: ${failed.map((c) => `${c.store ?? '-'} ${c.check}: ${c.detail}`).join('; ')}`,
    );
  }
  return lines.join('\n');
}
