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
    if (existsSync(manifest) && readPackageJson(manifest).name === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`piri-db: no package.json named "${PACKAGE_NAME}" above ${start}`);
  }
}

/** The absolute path of the installed piri-db package (the folder holding its package.json). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** The installed piri-db's package.json, read once: its name and version. */
export const PACKAGE_JSON = piriDbPackage(join(PACKAGE_ROOT, 'package.json'));

function piriDbPackage(file: string): { name: string; version: string } {
  const { version } = readPackageJson(file);
  if (version === undefined) throw new Error(`piri-db: ${file} has no version`);
  return { name: PACKAGE_NAME, version };
}

/** A package.json's name and version, each undefined when it is not text. */
function readPackageJson(file: string): { name: string | undefined; version: string | undefined } {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null) return { name: undefined, version: undefined };
  return {
    name: 'name' in parsed && typeof parsed.name === 'string' ? parsed.name : undefined,
    version: 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : undefined,
  };
}
