/**
 * The backend is chosen once per installation. The first successful boot writes a marker into data_dir; a
 * later boot configured for the other backend is refused before it creates or changes anything.
 * A data dir with SQLite store files but no marker (set up before markers existed, or by Piri) is SQLite.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendMismatchError } from '../errors.ts';
import { DIALECTS, type Dialect, STORES } from './registry.ts';

export const MARKER_FILE = 'piri-db.json';

export interface InstallationRecord {
  readonly backend: Dialect;
  /** How we know: the marker file, or SQLite store files found in data_dir. */
  readonly source: 'marker' | 'sqlite-files';
}

export function recordedBackend(dataDir: string): InstallationRecord | undefined {
  const marker = join(dataDir, MARKER_FILE);
  if (existsSync(marker)) {
    const backend = (JSON.parse(readFileSync(marker, 'utf8')) as { backend?: unknown }).backend;
    if (!DIALECTS.includes(backend as Dialect)) {
      throw new BackendMismatchError(`${marker} names an unknown backend ${JSON.stringify(backend)}`);
    }
    return { backend: backend as Dialect, source: 'marker' };
  }
  if (STORES.some((s) => existsSync(join(dataDir, s.sqlitePath)))) return { backend: 'sqlite', source: 'sqlite-files' };
  return undefined;
}

export function assertBackend(dataDir: string, configured: Dialect): void {
  const recorded = recordedBackend(dataDir);
  if (!recorded || recorded.backend === configured) return;
  const evidence =
    recorded.source === 'marker' ? `recorded in ${join(dataDir, MARKER_FILE)}` : `its SQLite store files are in ${dataDir}`;
  throw new BackendMismatchError(
    `this installation uses ${recorded.backend} (${evidence}), but repo.database.type is ${configured}; ` +
      `piri-db cannot switch backends in place and changed nothing. Set repo.database.type = "${recorded.backend}" ` +
      `to keep using it, or point repo.data_dir at a new directory to start a separate ${configured} installation`,
  );
}

/** Written once everything is migrated; atomic, so a crash leaves either no marker or a whole one. */
export function recordBackend(dataDir: string, backend: Dialect): void {
  const marker = join(dataDir, MARKER_FILE);
  if (existsSync(marker)) return;
  mkdirSync(dataDir, { recursive: true });
  const body = `${JSON.stringify({ backend, recordedAt: new Date().toISOString() }, null, 2)}\n`;
  writeFileSync(`${marker}.tmp`, body);
  renameSync(`${marker}.tmp`, marker);
}
