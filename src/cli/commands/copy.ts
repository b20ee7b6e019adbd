import type { Config } from '../../config/load.ts';
import { loadConfig } from '../../config/load.ts';
import { ConfigError } from '../../errors.ts';
import { type CopyReport, copyInstallation } from '../../operations/copy.ts';
import { type Command, type FlagValues, positiveInteger, UsageError, withProgress } from '../command.ts';
import { configFromFlags } from '../config-flags.ts';
import { progressDisplay } from '../progress.ts';

/**
 * `copy --to sqlite|postgres`: the configuration (file, environment, --db-* flags) names the source; --to,
 * --postgres-url and --data-dir name the target. Without --data-dir the target takes the source's data dir
 * and the copy switches that installation in place.
 */
export const copyCommand: Command = {
  usage:
    'copy --to postgres --postgres-url URL | --to sqlite [--data-dir DIR] [--from-data-dir DIR] [--batch-size N] [--json]\n' +
    '                     copy the whole installation to an empty one on another backend, verify, then record it',
  flags: {
    to: { type: 'string' },
    'postgres-url': { type: 'string' },
    'from-data-dir': { type: 'string' },
    'batch-size': { type: 'string' },
  },
  async run(flags) {
    const batchSize = positiveInteger(flags, 'batch-size');
    const source = configFromFlags({ ...flags, 'data-dir': stringFlag(flags, 'from-data-dir') });
    const target = targetConfig(flags, source);
    const display = progressDisplay('copy');
    const report = await withProgress(display, () =>
      copyInstallation(source, target, { onProgress: display.listener, ...(batchSize ? { batchSize } : {}) }),
    );
    return { output: flags.json ? JSON.stringify(report, null, 2) : describe(report) };
  },
};

function targetConfig(flags: FlagValues, source: Config): Config {
  const to = stringFlag(flags, 'to');
  if (to === undefined) throw new UsageError('copy needs --to sqlite or --to postgres');
  if (to !== 'sqlite' && to !== 'postgres') throw new UsageError(`--to must be sqlite or postgres, got ${JSON.stringify(to)}`);
  const url = stringFlag(flags, 'postgres-url');
  if (to === 'postgres' && url === undefined) throw new UsageError('copy --to postgres needs --postgres-url URL');
  if (to === 'sqlite' && url !== undefined) throw new UsageError('--postgres-url only applies to copy --to postgres');
  try {
    return loadConfig({
      env: {},
      dataDir: flags['data-dir'] ?? source.dataDir,
      database: { type: to, ...(url === undefined ? {} : { postgres: { url } }) },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const flag = error.key === 'repo.data_dir' ? '--data-dir' : '--postgres-url';
    const problem = error.message.slice(error.message.indexOf(': ') + 2).replace(/ from option [\w.*]+/, '');
    throw new UsageError(`invalid ${flag}: ${problem}`);
  }
}

function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
}

function describe(report: CopyReport): string {
  const tables = report.tables.filter((t) => t.rows > 0).length;
  const lines = [
    `copied ${report.rows} row(s) (${tables} of ${report.tables.length} tables hold rows) from ${report.from.backend} ${report.from.location} to ${report.to.backend} ${report.to.location}`,
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
