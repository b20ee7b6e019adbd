import { type DoctorReport, runDoctor } from '../../operations/doctor.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configFromFlags } from '../config-flags.ts';

/** Read-only checks; exit 1 if any fails. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const report = await runDoctor(configFromFlags(flags));
  return { output: flags.json ? JSON.stringify(report, null, 2) : describe(report), exitCode: report.ok ? 0 : 1 };
}

function describe(report: DoctorReport): string {
  const storeWidth = Math.max(...report.checks.map((c) => (c.store ?? '-').length));
  const lines = report.checks.map((c) => `${c.status.padEnd(4)}  ${(c.store ?? '-').padEnd(storeWidth)}  ${c.check}: ${c.detail}`);
  const count = (status: string) => report.checks.filter((c) => c.status === status).length;
  lines.push(`doctor: ${report.location}: ${count('fail')} failed, ${count('warn')} warning(s), ${count('ok')} ok`);
  return lines.join('\n');
}
