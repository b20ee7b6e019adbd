import { openDatabases } from '../../stores/open.ts';
import { installationStatus } from '../../stores/status.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configFromFlags } from '../load-config.ts';

/** Opens the installation (which migrates every store) and says what is now applied. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const config = configFromFlags(flags);
  const dbs = await openDatabases(config);
  try {
    const status = await installationStatus(config);
    const lines = status.stores.map((s) => `${s.store}: ${s.appliedMigrations.length} migration(s) applied, none pending`);
    return { output: lines.join('\n') };
  } finally {
    await dbs.close();
  }
}
