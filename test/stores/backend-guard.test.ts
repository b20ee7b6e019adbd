import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { BackendMismatchError } from '../../src/errors.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { createDatabase, freshConfig, rawPostgres, tempDir } from '../support/installations.ts';

/** Every file under dir with its size and mtime: "nothing changed" means this is identical. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, name));
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

  it('refuses a marker that names no known backend', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'piri-db.json'), JSON.stringify({ backend: 'mysql' }));
    await expect(openDatabases(await freshConfig('sqlite', dataDir))).rejects.toThrow(/unknown backend "mysql"/);
  });
});
