import { redactSecrets, urlSecrets } from '../../config/redact.ts';
import { ConfigError } from '../../errors.ts';
import { errorMessage } from '../../narrow.ts';
import { type DoctorReport, runDoctor } from '../../operations/doctor.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configFromFlags } from '../load-config.ts';

/** Read-only checks; exit 1 if any fails. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  if (!flags.json) {
    const report = await runDoctor(configFromFlags(flags));
    return { output: describe(report), exitCode: report.ok ? 0 : 1 };
  }
  // A script reading --json gets JSON whatever happens, e.g. a store file that is not a database at all.
  try {
    const report = await runDoctor(configFromFlags(flags));
    return { output: JSON.stringify(report, null, 2), exitCode: report.ok ? 0 : 1 };
  } catch (error) {
    const url = flags['db-postgres-url'];
    const message = redactSecrets(errorMessage(error), typeof url === 'string' ? urlSecrets(url) : []);
    return { output: JSON.stringify({ ok: false, error: message, checks: [] }, null, 2), exitCode: error instanceof ConfigError ? 2 : 1 };
  }
}

function describe(report: DoctorReport): string {
  const storeWidth = Math.max(...report.checks.map((c) => (c.store ?? '-').length));
  const lines = report.checks.map((c) => `${c.status.padEnd(4)}  ${(c.store ?? '-').padEnd(storeWidth)}  ${c.check}: ${c.detail}`);
  const count = (status: string) => report.checks.filter((c) => c.status === status).length;
  lines.push(`doctor: ${report.location}: ${count('fail')} failed, ${count('warn')} warning(s), ${count('ok')} ok`);
  return lines.join('\n');
}
