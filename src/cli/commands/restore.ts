import { type RestoreReport, restoreInstallation } from '../../operations/restore.ts';
import { appTablesFlag, type CommandResult, describeAppTables, type FlagValues, requiredString, withProgress } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { progressDisplay } from '../progress.ts';

/** Puts a backup back into an empty installation of the same backend, verifies it and records it. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const from = requiredString(flags, 'from', 'restore', 'DIR (a backup made by piri-db backup)');
  const config = configFromFlags(flags);
  const display = progressDisplay('restore');
  const report = await withProgress(display, () =>
    restoreInstallation(config, from, {
      onProgress: display.listener,
      ...appTablesFlag(flags),
      ...(typeof flags['pg-restore'] === 'string' ? { pgRestore: flags['pg-restore'] } : {}),
    }),
  );
  return { output: flags.json ? JSON.stringify(report, null, 2) : describe(report) };
}

function describe(report: RestoreReport): string {
  return [
    `restored ${report.rows} row(s) from ${report.from} (${report.method}, taken ${report.backupCreatedAt}) into ${report.backend} ${report.location}`,
    describeAppTables(report.appTables),
    'verified: every table has the row count and content checksum of the manifest; foreign keys and triggers checked',
    `recorded ${report.backend} as the backend in ${report.marker}`,
  ].join('\n');
}
