/** What a command prints, and the flags it was given (kebab-case, as typed: `flags['data-dir']`). */
import type { AppTablesMode } from '../operations/catalog.ts';
import type { AppTableReport } from '../operations/transfer.ts';
import type { ConfigFlags } from './config-flags.ts';

export type FlagValues = ConfigFlags;

export interface CommandResult {
  readonly output: string;
  /** Default 0. */
  readonly exitCode?: number;
}

/** A mistake in how the command was called: exit 2, one line naming the flag. */
export class UsageError extends Error {}

export function requiredString(flags: FlagValues, name: string, command: string, what: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${command} needs --${name} ${what}`);
  return value;
}

export function positiveInteger(flags: FlagValues, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Runs work with a progress display on stderr, cleared whatever happens. */
export async function withProgress<T>(
  display: { end(): void },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } finally {
    display.end();
  }
}

/** --app-tables as the operations take it (commander has checked the value too); absent: the operation's default. */
export function appTablesFlag(flags: FlagValues): { appTables?: AppTablesMode } {
  const mode = flags['app-tables'];
  if (typeof mode !== 'string') return {};
  if (mode !== 'carry' && mode !== 'skip') throw new UsageError(`--app-tables must be carry or skip, got ${JSON.stringify(mode)}`);
  return { appTables: mode };
}

/** One line on the application's tables an operation found, and what it did with each. */
export function describeAppTables(reports: readonly AppTableReport[]): string {
  if (reports.length === 0) return "application's tables: none found";
  const each = reports.map((r) => `${r.store}.${r.table} ${r.action}${r.rows === undefined ? '' : ` (${r.rows} row(s))`}`);
  return `application's tables: ${each.join(', ')}`;
}
