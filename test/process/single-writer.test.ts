import { describe, expect, it } from 'vitest';
import { DataDirLockedError } from '../../src/errors.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { installationStatus } from '../../src/stores/status.ts';
import { spawnFixture } from '../support/child.ts';
import { freshConfig } from '../support/installations.ts';

describe('SQLite single writer', () => {
  it('refuses a second writing instance at open while a read-only status works beside the first', async () => {
    const config = await freshConfig('sqlite');
    const holder = spawnFixture('boot.ts', config, 'hold');
    await holder.next('open');
    try {
      const error = await openDatabases(config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirLockedError);
      expect((error as Error).message).toContain(`data dir ${config.dataDir} is in use by another piri-db instance`);

      const status = await installationStatus(config);
      expect(status.stores.every((s) => s.exists && s.pendingMigrations.length === 0)).toBe(true);
    } finally {
      holder.process.kill('SIGKILL');
    }
    // The lock dies with its process: no stale lock after a crash.
    expect((await holder.exit).signal).toBe('SIGKILL');
    const dbs = await openDatabases(config);
    await dbs.close();
  });

  it('refuses a second writer in the same process too', async () => {
    const config = await freshConfig('sqlite');
    const first = await openDatabases(config);
    try {
      await expect(openDatabases(config)).rejects.toBeInstanceOf(DataDirLockedError);
    } finally {
      await first.close();
    }
    await (await openDatabases(config)).close();
  });
});
