import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import type { PostgresStoreConnection, SqliteStoreConnection } from '../../src/backend/types.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { installationStatus } from '../../src/stores/status.ts';
import { forEachBackend, freshConfig, rawPostgres } from '../support/installations.ts';

forEachBackend('openDatabases', (backend) => {
  it('migrates every store on first boot and finds nothing pending on the next', async () => {
    const config = await freshConfig(backend);
    const first = await openDatabases(config);
    expect(first.backend).toBe(backend);
    expect(first.stores.map((s) => s.name)).toEqual(['scheduler', 'replicator', 'aggregator', 'egress_tracker']);
    await first.close();

    const status = await installationStatus(config);
    for (const store of status.stores) {
      expect(store.exists).toBe(true);
      expect(store.pendingMigrations).toEqual([]);
      expect(store.appliedMigrations).toEqual(shippedMigrations(backend, STORES.find((s) => s.name === store.store)!).map((m) => m.tag));
    }
    const second = await openDatabases(config);
    await second.close();
    expect((await installationStatus(config)).stores).toEqual(status.stores);
  });

  it('exposes a typed drizzle instance per store that reads and writes', async () => {
    const dbs = await openDatabases(await freshConfig(backend));
    try {
      const { db } = dbs.replicator;
      const { jobqueue } = (await import(`../../schema/${backend}/replicator.ts`)) as typeof import('../../schema/sqlite/replicator.ts');
      // The union type cannot pick an overload; the dialect-specific cast is what application code does too.
      await (db as any).insert(jobqueue).values({ queue: 'replication', body: Buffer.from([0, 1, 2]), timeout: new Date(0) });
      const rows = await (db as any).select().from(jobqueue);
      expect(rows).toHaveLength(1);
      expect(rows[0].id).toMatch(/^m_[0-9a-f]{32}$/);
      expect(Buffer.from(rows[0].body)).toEqual(Buffer.from([0, 1, 2]));
      expect(rows[0].timeout.getTime()).toBe(0);
    } finally {
      await dbs.close();
    }
  });

  it('records the backend of the installation in data_dir once it is set up', async () => {
    const config = await freshConfig(backend);
    const dbs = await openDatabases(config);
    await dbs.close();
    const status = await installationStatus(config);
    expect(status.recorded).toEqual({ backend, source: 'marker' });
  });
});

describe('SQLite files', () => {
  it('puts each store at its path with WAL, synchronous NORMAL, busy_timeout 5000 and foreign keys on', async () => {
    const config = await freshConfig('sqlite');
    const dbs = await openDatabases(config);
    try {
      for (const store of dbs.stores) {
        const conn = store.connection as SqliteStoreConnection;
        expect(conn.file).toBe(join(config.dataDir, store.definition.sqlitePath));
        expect(existsSync(conn.file)).toBe(true);
        expect(conn.client.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(conn.client.pragma('synchronous', { simple: true })).toBe(1);
        expect(conn.client.pragma('busy_timeout', { simple: true })).toBe(5000);
        expect(conn.client.pragma('foreign_keys', { simple: true })).toBe(1);
      }
      expect(dbs.stores.map((s) => (s.connection as SqliteStoreConnection).file.slice(config.dataDir.length + 1))).toEqual([
        'pdp/state/state.db',
        'replicator/replicator.db',
        'aggregator/jobqueue/jobqueue.db',
        'egress_tracker/jobqueue/jobqueue.db',
      ]);
    } finally {
      await dbs.close();
    }
    // WAL is a property of the file: a fresh connection sees it too.
    const file = new Database(join(config.dataDir, 'pdp/state/state.db'), { readonly: true });
    expect(file.pragma('journal_mode', { simple: true })).toBe('wal');
    file.close();
  });
});

describe('PostgreSQL schemas', () => {
  it('creates one schema per store and nothing in public', async () => {
    const config = await freshConfig('postgres');
    const dbs = await openDatabases(config);
    await dbs.close();
    if (config.database.type !== 'postgres') throw new Error('unreachable');
    const sql = rawPostgres(config.database.postgres.url);
    const schemas = (await sql<{ nspname: string }[]>`
      SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1`).map((r) => r.nspname);
    expect(schemas).toEqual(['aggregator', 'egress_tracker', 'piri_db', 'public', 'replicator', 'scheduler']);
    const inPublic = await sql`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
      UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`;
    expect(inPublic).toHaveLength(0);
    const journals = (await sql<{ tablename: string }[]>`SELECT tablename FROM pg_tables WHERE schemaname = 'piri_db' ORDER BY 1`).map((r) => r.tablename);
    expect(journals).toEqual(['migrations_aggregator', 'migrations_egress_tracker', 'migrations_replicator', 'migrations_scheduler']);
  });

  it('shares one pool between the four stores, sized by max_open_conns', async () => {
    const base = await freshConfig('postgres');
    if (base.database.type !== 'postgres') throw new Error('unreachable');
    const config = { ...base, database: { ...base.database, postgres: { ...base.database.postgres, maxOpenConns: 3 } } };
    const dbs = await openDatabases(config);
    try {
      const clients = new Set(dbs.stores.map((s) => (s.connection as PostgresStoreConnection).client));
      expect(clients.size).toBe(1);
      const [pool] = [...clients];
      expect(pool!.options.max).toBe(3);
    } finally {
      await dbs.close();
    }
  });
});
