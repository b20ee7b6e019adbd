import { type BackupReport, backupInstallation } from '../../operations/backup.ts';
import { appTablesFlag, type CommandResult, describeAppTables, type FlagValues, requiredString, UsageError, withProgress } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { progressDisplay } from '../progress.ts';
import { isOneOf } from '../../narrow.ts';

const METHODS = ['auto', 'pg_dump', 'logical'] as const;

/** A consistent backup of the four stores, while piri runs, with a verified manifest. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const out = requiredString(flags, 'out', 'backup', 'DIR (a new or empty directory)');
  const method = flags.method ?? 'auto';
  if (!isOneOf(METHODS, method)) {
    throw new UsageError(`--method must be one of ${METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  const config = configFromFlags(flags);
  const display = progressDisplay('backup');
  const report = await withProgress(display, () =>
    backupInstallation(config, out, {
      method,
      onProgress: display.listener,
      ...appTablesFlag(flags),
      ...(typeof flags['pg-dump'] === 'string' ? { pgDump: flags['pg-dump'] } : {}),
    }),
  );
  return { output: flags.json ? JSON.stringify(summary(report), null, 2) : describe(report) };
}

function summary(report: BackupReport) {
  return { dir: report.dir, method: report.manifest.method, methodNote: report.methodNote, appTables: report.appTables, manifest: report.manifest };
}

function describe(report: BackupReport): string {
  const { manifest } = report;
  const lines = [`backup of ${manifest.backend} ${manifest.source} written to ${report.dir}`, `method: ${manifest.method} (${report.methodNote})`];
  for (const store of manifest.stores) {
    const rows = store.tables.reduce((sum, t) => sum + t.rows, 0);
    const file = store.database ? `  ${store.database.file} sha256 ${store.database.sha256.slice(0, 16)}…` : '';
    lines.push(`  ${store.store.padEnd(14)} ${String(rows).padStart(9)} row(s) in ${store.tables.length} tables, ${store.migrations.length} migration(s)${file}`);
  }
  lines.push(describeAppTables(report.appTables));
  lines.push(`verified: integrity and foreign keys of every file (SQLite); row counts and checksums recorded in ${report.dir}/manifest.json`);
  return lines.join('\n');
}
