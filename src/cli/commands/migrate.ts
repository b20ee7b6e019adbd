import type { Config } from '../../config/load.ts';
import { openDatabases } from '../../stores/open.ts';
import { installationStatus } from '../../stores/status.ts';

/** Opens the installation (which migrates every store) and says what is now applied. */
export async function migrateCommand(config: Config): Promise<string> {
  const dbs = await openDatabases(config);
  try {
    const status = await installationStatus(config);
    return status.stores.map((s) => `${s.store}: ${s.appliedMigrations.length} migration(s) applied, none pending`).join('\n');
  } finally {
    await dbs.close();
  }
}
