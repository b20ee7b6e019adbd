/**
 * Where piri-db's own files (package.json, drizzle/) are at run time. The same module runs as TypeScript from
 * src/ in development and as compiled JavaScript from dist/src/ in the published package, at different depths, so
 * the root is found by walking up to the package.json that names this package rather than by a fixed `../..`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'piri-db';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`piri-db: no package.json named "${PACKAGE_NAME}" above ${start}`);
  }
}

/** The absolute path of the installed piri-db package (the folder holding its package.json). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The installed piri-db's package.json, read once. */
export const PACKAGE_JSON = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
