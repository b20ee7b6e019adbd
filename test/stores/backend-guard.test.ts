import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { BackendMismatchError, MarkerError } from '../../src/errors.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { BACKENDS, createDatabase, freshConfig, rawPostgres, tempDir } from '../support/installations.ts';

/** Every file under dir with its size and mtime: "nothing changed" means this is identical. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = lstatSync(join(dir, name));
    out[name] = s.isDirectory() ? 'dir' : `${s.size}:${s.mtimeMs}`;
  }
  return out;
}

async function postgresObjects(url: string): Promise<number> {
  const sql = rawPostgres(url);
  const [row] = await sql<{ n: string }[]>`
    SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname NOT LIKE 'pg_%' AND n.nspname <> 'information_schema'`;
  return Number(row!.n);
}

const asPostgres = async (dataDir: string): Promise<Config> => freshConfig('postgres', dataDir);

describe('backend guard', () => {
  it('refuses postgres on a SQLite installation, naming both, and changes nothing anywhere', async () => {
    const sqlite = await freshConfig('sqlite');
    await (await openDatabases(sqlite)).close();
    const before = snapshot(sqlite.dataDir);
    const pg = await asPostgres(sqlite.dataDir);
    const error = await openDatabases(pg).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendMismatchError);
    expect((error as Error).message).toMatch(/uses sqlite.*repo\.database\.type is postgres/);
    expect(snapshot(sqlite.dataDir)).toEqual(before);
    if (pg.database.type !== 'postgres') throw new Error('unreachable');
    expect(await postgresObjects(pg.database.postgres.url)).toBe(0);
  });

  it('refuses sqlite on a Postgres installation and creates no store file', async () => {
    const pg = await asPostgres(tempDir());
    await (await openDatabases(pg)).close();
    const before = snapshot(pg.dataDir);
    const sqlite = await freshConfig('sqlite', pg.dataDir);
    const error = await openDatabases(sqlite).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendMismatchError);
    expect((error as Error).message).toMatch(/uses postgres.*repo\.database\.type is sqlite/);
    expect(snapshot(pg.dataDir)).toEqual(before);
    expect(JSON.parse(readFileSync(join(pg.dataDir, 'piri-db.json'), 'utf8')).backend).toBe('postgres');
  });

  it('counts a data dir holding SQLite store files but no marker as SQLite', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'replicator'), { recursive: true });
    new Database(join(dataDir, 'replicator/replicator.db')).close();
    const before = snapshot(dataDir);
    const error = await openDatabases(await asPostgres(dataDir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendMismatchError);
    expect((error as Error).message).toContain('SQLite store files');
    expect(snapshot(dataDir)).toEqual(before);
  });

  it('accepts the same backend again', async () => {
    const pg = await asPostgres(tempDir());
    await (await openDatabases(pg)).close();
    await (await openDatabases(pg)).close();
    const url = await createDatabase();
    expect(url).toContain('piri_test_');
  });

});

/** Every way the marker can be damaged, and how the error says it. */
const DAMAGED_MARKERS: readonly [string, (marker: string) => void, string][] = [
  ['empty, as after a power loss', (m) => writeFileSync(m, ''), 'is empty'],
  ['garbage', (m) => writeFileSync(m, '\u0000\u0000{"back'), 'is not JSON'],
  ['null', (m) => writeFileSync(m, 'null'), 'names no backend'],
  ['an array', (m) => writeFileSync(m, '["sqlite"]'), 'names no backend'],
  ['a bare string', (m) => writeFileSync(m, '"postgres"'), 'names no backend'],
  ['a backend of the wrong type', (m) => writeFileSync(m, '{"backend": 5}'), 'names an unknown backend 5'],
  ['an unknown backend', (m) => writeFileSync(m, '{"backend": "mysql"}'), 'names an unknown backend "mysql"'],
  ['a directory', (m) => mkdirSync(m), 'is a directory'],
  ['unreadable: a symlink loop', (m) => symlinkSync(m, m), 'cannot be read (ELOOP)'],
  ['unreadable: a symlink to nowhere', (m) => symlinkSync(`${m}.gone`, m), 'cannot be read (ENOENT)'],
];

describe.each(BACKENDS)('a damaged backend marker [%s]', (backend) => {
  it.each(DAMAGED_MARKERS)('%s: one MarkerError naming the file and what to do; nothing is touched', async (_form, damage, problem) => {
    const dataDir = tempDir();
    const marker = join(dataDir, 'piri-db.json');
    damage(marker);
    const config = await freshConfig(backend, dataDir);
    const before = snapshot(dataDir);
    const error = await openDatabases(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MarkerError);
    expect((error as MarkerError).code).toBe('MARKER_DAMAGED');
    expect((error as Error).message).toBe(
      `the backend marker ${marker} ${problem}${problem.startsWith('names') ? ' (expected {"backend": "sqlite"} or {"backend": "postgres"})' : ''}; ` +
        'it records which backend this data dir uses, and piri-db changed nothing. Restore it from a file backup of ' +
        'the data dir, or delete it and start piri-db with repo.database.type set to the backend this data dir was set ' +
        'up with: the next successful start writes it again',
    );
    expect(snapshot(dataDir)).toEqual(before);
    if (config.database.type === 'postgres') expect(await postgresObjects(config.database.postgres.url)).toBe(0);
  });
});
