/**
 * The package as a user gets it: pack the tarball once (prepack builds dist/), install it into fresh projects with
 * npm and with pnpm, then check that plain node opens an installation from it, that a strict consumer type-checks
 * under NodeNext and Bundler resolution, and that the bin prints the version. Slow (better-sqlite3 compiles from
 * source in each install), so it has its own timeouts; the two installs run side by side.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const INSTALL_TIMEOUT_MS = 10 * 60_000;

// Installs compile better-sqlite3 against the machine's Node headers; no PIRI_* settings leak into the consumer.
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PIRI_'))),
  npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
};

// What README's "Using it" does, in plain JavaScript, plus a look at the migrated scheduler store.
const CONSUMER_JS = `
import { loadConfig, openDatabases } from 'piri-db';
import { task } from 'piri-db/schema/sqlite';

const dbs = await openDatabases(loadConfig({ dataDir: './data' }));
if (dbs.backend !== 'sqlite') throw new Error('expected sqlite');
console.log(JSON.stringify({ backend: dbs.backend, tasks: dbs.scheduler.db.select().from(task).all().length }));
await dbs.close();
`;

// README's first "Using it" example, verbatim: it is plain JavaScript as well as TypeScript.
const README_USING_IT = /## Using it\n\n```ts\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'))![1]!;

// Narrowing on backend must type each store's db; the row types must come out of both schema entries.
const CONSUMER_TS = `
import { loadConfig, openDatabases } from 'piri-db';
import * as pg from 'piri-db/schema/postgres';
import * as sqlite from 'piri-db/schema/sqlite';

const dbs = await openDatabases(loadConfig({ dataDir: './data' }));
if (dbs.backend === 'sqlite') {
  const rows: (typeof sqlite.task.$inferSelect)[] = dbs.scheduler.db.select().from(sqlite.task).all();
  const jobs: (typeof sqlite.aggregator.jobs.$inferSelect)[] = dbs.aggregator.db.select().from(sqlite.aggregator.jobs).all();
  console.log(rows.length, jobs.length);
} else {
  const rows: (typeof pg.task.$inferSelect)[] = await dbs.scheduler.db.select().from(pg.task);
  const jobs: (typeof pg.replicator.jobqueue.$inferSelect)[] = await dbs.replicator.db.select().from(pg.replicator.jobqueue);
  console.log(rows.length, jobs.length);
}
// @ts-expect-error without narrowing, db is either backend's instance
dbs.scheduler.db.select().from(sqlite.task).all();
await dbs.close();
`;

function tsconfig(module: 'NodeNext' | 'ESNext', moduleResolution: 'NodeNext' | 'Bundler') {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module,
      moduleResolution,
      strict: true,
      noEmit: true,
      // drizzle-orm's declarations for drivers a consumer does not install (mysql2, ...) only check with this.
      skipLibCheck: true,
      // The consumer's own @types/node would come from its registry; the repository's copy saves an install.
      typeRoots: [join(ROOT, 'node_modules/@types')],
      types: ['node'],
    },
    files: ['consumer.ts'],
  });
}

let work: string;
let tarball: string;
const projects: Record<'npm' | 'pnpm', string> = { npm: '', pnpm: '' };

function project(manager: 'npm' | 'pnpm'): string {
  const dir = join(work, manager);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${manager}`, private: true, type: 'module' }));
  // pnpm 12 refuses dependency build scripts unless allowed here; better-sqlite3 needs its build.
  if (manager === 'pnpm') writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'allowBuilds:\n  better-sqlite3: true\n');
  writeFileSync(join(dir, 'consumer.mjs'), CONSUMER_JS);
  writeFileSync(join(dir, 'consumer.ts'), CONSUMER_TS);
  writeFileSync(join(dir, 'using-it.mjs'), README_USING_IT);
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'piri-db-consumer-'));
  await run('pnpm', ['pack', '--pack-destination', work], { cwd: ROOT, env });
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  projects.npm = project('npm');
  projects.pnpm = project('pnpm');
  await Promise.all([
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: projects.npm, env }),
    run('pnpm', ['add', '--prefer-offline', tarball], { cwd: projects.pnpm, env }),
  ]);
}, INSTALL_TIMEOUT_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.each(['npm', 'pnpm'] as const)('installed with %s', (manager) => {
  it('opens a SQLite installation from plain node', async () => {
    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: projects[manager], env });
    expect(JSON.parse(stdout)).toEqual({ backend: 'sqlite', tasks: 0 });
  });

  it("runs README's Using it example verbatim", async () => {
    await run(process.execPath, ['using-it.mjs'], { cwd: projects[manager], env });
  });

  it.each([
    ['NodeNext', 'NodeNext'],
    ['ESNext', 'Bundler'],
  ] as const)('type-checks a strict consumer with module %s, resolution %s', async (module, resolution) => {
    writeFileSync(join(projects[manager], 'tsconfig.json'), tsconfig(module, resolution));
    const result = await run(process.execPath, [TSC, '-p', '.'], { cwd: projects[manager], env }).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  });

  it('runs the bin: npx piri-db status reads the installation the consumer opened', async () => {
    const { stdout } = await run('npx', ['--no-install', 'piri-db', 'status', '--data-dir', 'data'], { cwd: projects[manager], env });
    expect(stdout).toContain('sqlite');
  });

  it('runs the bin: npx piri-db --version prints the version', async () => {
    const { stdout } = await run('npx', ['--no-install', 'piri-db', '--version'], { cwd: projects[manager], env });
    expect(stdout.trim()).toContain(VERSION);
  });
});
