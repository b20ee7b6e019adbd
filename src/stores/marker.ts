/**
 * The installation's backend marker, piri-db.json in data_dir: which backend the data dir was set up with.
 * guard.ts reads it before anything is opened; the first boot, a copy and a restore write it.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, errorMessage, isOneOf } from '../narrow.ts';
import { MarkerError } from '../errors.ts';
import { DIALECTS, type Dialect } from '../catalog/registry.ts';

export const MARKER_FILE = 'piri-db.json';

/** The backend the marker names; undefined when there is no marker. A MarkerError when it cannot be read as one. */
export function readMarker(dataDir: string): Dialect | undefined {
  const marker = join(dataDir, MARKER_FILE);
  const damaged = (problem: string, cause?: unknown): MarkerError =>
    new MarkerError(
      `the backend marker ${marker} ${problem}; it records which backend this data dir uses, and piri-db changed ` +
        'nothing. Restore it from a file backup of the data dir, or delete it and start piri-db with ' +
        'repo.database.type set to the backend this data dir was set up with: the next successful start writes it again',
      { cause },
    );
  const unreadable = (error: unknown) =>
    damaged(`cannot be read (${errorCode(error) ?? errorMessage(error)})`, error);
  let isDirectory: boolean;
  try {
    // lstat, not exists: a symlink to nowhere or a loop is a damaged marker, not an absent one.
    isDirectory = lstatSync(marker).isDirectory();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw unreadable(error);
  }
  if (isDirectory) throw damaged('is a directory');
  let text: string;
  try {
    text = readFileSync(marker, 'utf8');
  } catch (error) {
    throw unreadable(error);
  }
  // A power loss while a file system without data journaling wrote it can leave it empty.
  if (text.trim() === '') throw damaged('is empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw damaged('is not JSON', error);
  }
  const backend = typeof parsed === 'object' && parsed !== null && 'backend' in parsed ? parsed.backend : undefined;
  if (!isOneOf(DIALECTS, backend)) {
    const found = backend === undefined ? 'no backend' : `an unknown backend ${JSON.stringify(backend)}`;
    throw damaged(`names ${found} (expected {"backend": "sqlite"} or {"backend": "postgres"})`);
  }
  return backend;
}

/**
 * Writes the marker, replacing any: atomic and durable, so a crash or a power loss leaves the old marker or the
 * new one, never an empty or torn file. Returns its path.
 */
export function writeMarker(dataDir: string, backend: Dialect, extra: Record<string, unknown> = {}): string {
  mkdirSync(dataDir, { recursive: true });
  const marker = join(dataDir, MARKER_FILE);
  const body = `${JSON.stringify({ backend, recordedAt: new Date().toISOString(), ...extra }, null, 2)}\n`;
  // One temporary file per process: Postgres boots sharing a data dir write the marker at the same time.
  const temporary = `${marker}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, marker);
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return marker;
}
