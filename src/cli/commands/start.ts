import { openDatabases } from '../../stores/open.ts';
import { installationStatus } from '../../stores/status.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configFromFlags } from '../load-config.ts';
import { formatStatus } from '../format-status.ts';

/** The main job of `pnpm start`: boot the four stores (migrating them), then show what they hold. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const config = configFromFlags(flags);
  const started = performance.now();
  const dbs = await openDatabases(config);
  try {
    const bootMs = performance.now() - started;
    const status = await installationStatus(config);
    return { output: `booted ${dbs.stores.length} stores on ${dbs.backend} in ${bootMs.toFixed(0)} ms\n\n${formatStatus(status)}` };
  } finally {
    await dbs.close();
  }
}
