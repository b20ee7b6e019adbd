/**
 * The one place that picks the SQLite or the Postgres implementation of a snapshot, a load target or an
 * installation hold, from a Config.
 */
import { sqliteStoreFile } from '../backend/sqlite/open.ts';
import { acquireWriterLock } from '../backend/sqlite/writer-lock.ts';
import type { Config } from '../config/load.ts';
import { redactUrl } from '../config/redact.ts';
import { DataDirLockedError, OperationError } from '../errors.ts';
import { STORES } from '../catalog/registry.ts';
import type { LoadTarget, Snapshot } from './endpoints.ts';
import { applicationSessions, openOperationsPool } from './postgres/pool.ts';
import { openPostgresSnapshot } from './postgres/snapshot.ts';
import { openPostgresTarget } from './postgres/target.ts';
import { openSqliteSnapshot } from './sqlite/snapshot.ts';
import { openSqliteTarget } from './sqlite/target.ts';

export async function openSnapshot(config: Config): Promise<Snapshot> {
  if (config.database.type === 'postgres') return openPostgresSnapshot(config.database.postgres);
  return openSqliteSnapshot(new Map(STORES.map((s) => [s.name, sqliteStoreFile(config.dataDir, s)])), config.dataDir);
}

export async function openTarget(config: Config): Promise<LoadTarget> {
  if (config.database.type === 'postgres') return openPostgresTarget(config.database.postgres);
  return openSqliteTarget(config.dataDir);
}

/** Where the installation's data lives, for messages (URL redacted). */
export function describeInstallation(config: Config): string {
  return config.database.type === 'postgres'
    ? `PostgreSQL at ${redactUrl(config.database.postgres.url)}`
    : `SQLite in ${config.dataDir}`;
}

/**
 * Makes sure no piri instance uses the installation, for as long as the returned release is not called:
 * SQLite takes the data dir's writer lock (a running instance holds it; one starting meanwhile is refused);
 * Postgres can only check that no application session is connected now.
 */
export async function holdInstallation(config: Config, why: string): Promise<() => void> {
  if (config.database.type === 'sqlite') {
    try {
      const lock = acquireWriterLock(config.dataDir);
      return () => lock.release();
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      throw new OperationError('SOURCE_NOT_READY', `${why}, so piri must be stopped first: ${error.message}`);
    }
  }
  const pg = config.database.postgres;
  const sql = await openOperationsPool(pg, 1);
  try {
    const sessions = await applicationSessions(sql);
    if (sessions > 0) {
      throw new OperationError(
        'SOURCE_NOT_READY',
        `${why}, so piri must be stopped first: ${sessions} piri-db session(s) are connected to ${redactUrl(pg.url)}`,
      );
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
  return () => {};
}
