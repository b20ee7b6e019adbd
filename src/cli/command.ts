/** What a command prints, and the flags it was given (kebab-case, as typed: `flags['data-dir']`). */
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
