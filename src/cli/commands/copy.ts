import type { Config } from '../../config/load.ts';
import { type CopyReport, copyInstallation } from '../../operations/copy.ts';
import { appTablesFlag, type CommandResult, describeAppTables, type FlagValues, positiveInteger, UsageError, withProgress } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { progressDisplay } from '../progress.ts';

/**
 * The source is the installation the --from-* flags (over piri's config file and PIRI_* environment) select;
 * the target is named by --to-* flags alone, never by the environment, so a copy cannot write where piri's
 * configuration points by accident. Without --to-data-dir the target takes the source's data dir and the copy
 * switches that installation in place.
 */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const batchSize = positiveInteger(flags, 'batch-size');
  const source = configFromFlags(flags, 'from-');
  const target = targetConfig(flags, source);
  const display = progressDisplay('copy');
  const report = await withProgress(display, () =>
    copyInstallation(source, target, { onProgress: display.listener, ...appTablesFlag(flags), ...(batchSize ? { batchSize } : {}) }),
  );
  return { output: flags.json ? JSON.stringify(report, null, 2) : describe(report) };
}

function targetConfig(flags: FlagValues, source: Config): Config {
  const to = flags['to-db-type'];
  if (to === undefined) throw new UsageError('copy needs --to-db-type sqlite or --to-db-type postgres');
  if (to !== 'sqlite' && to !== 'postgres') throw new UsageError(`--to-db-type must be sqlite or postgres, got ${JSON.stringify(to)}`);
  const url = flags['to-db-postgres-url'];
  if (to === 'postgres' && url === undefined) throw new UsageError('copy --to-db-type postgres needs --to-db-postgres-url URL');
  if (to === 'sqlite' && url !== undefined) throw new UsageError('--to-db-postgres-url only applies to --to-db-type postgres');
  const dataDir = flags['to-data-dir'];
  return configFromFlags({ 'to-data-dir': typeof dataDir === 'string' ? dataDir : source.dataDir, 'to-db-type': to, 'to-db-postgres-url': url }, 'to-', {});
}

function describe(report: CopyReport): string {
  const tables = report.tables.filter((t) => t.rows > 0).length;
  const lines = [
    `copied ${report.rows} row(s) (${tables} of ${report.tables.length} tables hold rows) from ${report.from.backend} ${report.from.location} to ${report.to.backend} ${report.to.location}`,
    describeAppTables(report.appTables),
    'verified: every table has the source row count and content checksum; foreign keys and triggers checked',
    `recorded ${report.to.backend} as the backend in ${report.marker}${report.inPlace ? ` (switched in place from ${report.from.backend})` : ''}`,
  ];
  if (report.inPlace && report.from.backend === 'sqlite') {
    lines.push(`the SQLite store files in ${report.to.dataDir} were left untouched and are no longer used: archive them once you are satisfied`);
  }
  lines.push(
    report.to.backend === 'postgres'
      ? `next: set repo.database.type = "postgres" and repo.database.postgres.url (data_dir ${report.to.dataDir}), then start piri`
      : `next: set repo.database.type = "sqlite" and repo.data_dir = "${report.to.dataDir}", then start piri`,
  );
  return lines.join('\n');
}
