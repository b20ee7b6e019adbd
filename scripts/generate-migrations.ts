/**
 * `pnpm db:generate`: runs drizzle-kit generate for every (dialect, store) pair.
 * `pnpm db:check`:    generates into a scratch copy and fails when schema/ and drizzle/ disagree.
 *
 * Filters: --dialect sqlite|postgres, --store <name>. Anything else (e.g. `--custom --name triggers`) is
 * passed through to drizzle-kit, which is how custom trigger migrations are started.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DIALECTS, STORE_NAMES } from '../src/catalog/registry.ts';

const args = process.argv.slice(2);
const check = takeFlag('--check');
const onlyDialect = takeOption('--dialect');
const onlyStore = takeOption('--store');
const root = join(import.meta.dirname, '..');
const drizzleKit = join(root, 'node_modules', '.bin', 'drizzle-kit');

let drift = 0;
for (const dialect of DIALECTS) {
  if (onlyDialect && dialect !== onlyDialect) continue;
  for (const store of STORE_NAMES) {
    if (onlyStore && store !== onlyStore) continue;
    const folder = join(root, 'drizzle', dialect, store);
    if (!check) {
      run(dialect, store, folder, args);
      continue;
    }
    // Inside the project: drizzle-kit resolves `out` relative to the working directory.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const scratch = mkdtempSync(join(root, '.tmp', 'check-'));
    if (existsSync(folder)) cpSync(folder, scratch, { recursive: true });
    run(dialect, store, scratch, []);
    const changed = diffTrees(folder, scratch);
    rmSync(scratch, { recursive: true, force: true });
    if (changed.length > 0) {
      drift++;
      console.error(`drizzle/${dialect}/${store} is out of date with schema/${dialect}/${store}.ts: ${changed.join(', ')}`);
    }
  }
}
if (check) {
  if (drift > 0) {
    console.error('run `pnpm db:generate` and commit the result');
    process.exit(1);
  }
  console.log('migrations are in sync with schema/');
}

function run(dialect: string, store: string, out: string, extra: string[]): void {
  const output = execFileSync(drizzleKit, ['generate', ...extra], {
    cwd: root,
    env: { ...process.env, PIRI_DB_DIALECT: dialect, PIRI_DB_STORE: store, PIRI_DB_OUT: relative(root, out) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (!check) {
    const last = output.trim().split('\n').pop() ?? '';
    console.log(`${dialect}/${store}: ${last.replace(/\x1b\[[0-9;]*m/g, '')}`);
  }
}

function diffTrees(a: string, b: string): string[] {
  const files = new Set([...listFiles(a).map((f) => relative(a, f)), ...listFiles(b).map((f) => relative(b, f))]);
  return [...files].filter((f) => read(join(a, f)) !== read(join(b, f)));
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

function read(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function takeFlag(name: string): boolean {
  const i = args.indexOf(name);
  if (i >= 0) args.splice(i, 1);
  return i >= 0;
}

function takeOption(name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}
