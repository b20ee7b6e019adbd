import { installationStatus } from '../../stores/status.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { formatStatus } from '../format-status.ts';

/** Backend, and per store: location, migrations, tables and row counts. Read-only: creates nothing. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const status = await installationStatus(configFromFlags(flags));
  return { output: flags.json ? JSON.stringify(status, null, 2) : formatStatus(status) };
}
