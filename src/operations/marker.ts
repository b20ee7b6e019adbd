/**
 * Writing the installation's backend marker (stores/guard.ts reads it) at the end of a copy or restore. Unlike
 * recordBackend, this may replace an existing marker: that is how a copy in place switches the data dir to
 * the new backend. Atomic and durable: a crash leaves the old marker or the new one, never a torn file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { MARKER_FILE } from '../stores/guard.ts';
import type { Dialect } from '../stores/registry.ts';

export function writeMarker(dataDir: string, backend: Dialect, extra: Record<string, unknown> = {}): string {
  mkdirSync(dataDir, { recursive: true });
  const marker = join(dataDir, MARKER_FILE);
  const body = `${JSON.stringify({ backend, recordedAt: new Date().toISOString(), ...extra }, null, 2)}\n`;
  const fd = openSync(`${marker}.tmp`, 'w');
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${marker}.tmp`, marker);
  const dir = openSync(dataDir, 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
  return marker;
}
