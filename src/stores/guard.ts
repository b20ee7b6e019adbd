/**
 * The backend is chosen once per installation. The first successful boot writes a marker into data_dir; a
 * later boot configured for the other backend is refused before it creates or changes anything.
 * A data dir with SQLite store files but no marker (set up before markers existed, or by Piri) is SQLite.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BackendMismatchError } from '../errors.ts';
import { MARKER_FILE, readMarker, writeMarker } from './marker.ts';
import { type Dialect, STORES } from '../catalog/registry.ts';

export interface InstallationRecord {
  readonly backend: Dialect;
  /** How we know: the marker file, or SQLite store files found in data_dir. */
  readonly source: 'marker' | 'sqlite-files';
}

/** A damaged marker is a MarkerError, never read as "no marker": that could let the other backend start. */
export function recordedBackend(dataDir: string): InstallationRecord | undefined {
  const backend = readMarker(dataDir);
  if (backend !== undefined) return { backend, source: 'marker' };
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

/** Written once everything is migrated, so a crash leaves either no marker or a whole one. */
export function recordBackend(dataDir: string, backend: Dialect): void {
  if (readMarker(dataDir) === undefined) writeMarker(dataDir, backend);
}
