import Database from 'better-sqlite3';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { type DoctorReport, runDoctor } from '../../src/operations/doctor.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type StoreName, STORES } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { seed } from './support.ts';

/** Runs SQL on a store as an operator would by hand: SQLite through its file, Postgres on the store's schema. */
async function tamper(config: Config, store: StoreName, statements: { sqlite: string[]; postgres: string[] }): Promise<void> {
  const definition = STORES.find((s) => s.name === store)!;
  if (config.database.type === 'sqlite') {
    const db = new Database(sqliteStoreFile(config.dataDir, definition));
    try {
      for (const statement of statements.sqlite) db.exec(statement);
    } finally {
      db.close();
    }
    return;
  }
  const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
  try {
    for (const statement of statements.postgres) await sql.unsafe(statement);
  } finally {
    await sql.end();
  }
}

const failures = (report: DoctorReport) => report.checks.filter((c) => c.status === 'fail').map((c) => `${c.store}: ${c.check}: ${c.detail}`);

async function healthy(backend: 'sqlite' | 'postgres'): Promise<Config> {
  const config = await freshConfig(backend);
  await seed(config);
  return config;
}

forEachBackend('doctor', (backend) => {
  it('passes on a healthy installation, with one line per check', async () => {
    const config = await healthy(backend);
    const report = await runDoctor(config);
    expect(failures(report)).toEqual([]);
    expect(report.ok).toBe(true);
    const names = new Set(report.checks.map((c) => c.check));
    for (const name of ['backend', 'setup', 'migrations', 'triggers', 'queue replication', 'queue aggregator', 'queue manager claims']) expect(names).toContain(name);
    if (backend === 'sqlite') for (const name of ['integrity', 'foreign keys', 'table shapes', 'wal']) expect(names).toContain(name);
    else expect(names).toContain('constraints');
  });

  it('fails on a missing trigger, naming it', async () => {
    const config = await healthy(backend);
    await tamper(config, 'scheduler', {
      sqlite: ['DROP TRIGGER pdp_proofset_root_insert'],
      postgres: ['DROP TRIGGER pdp_proofset_root_insert ON scheduler.pdp_proofset_roots'],
    });
    const report = await runDoctor(config);
    expect(report.ok).toBe(false);
    expect(failures(report)).toEqual([expect.stringMatching(/^scheduler: triggers: missing: pdp_proofset_root_insert/)]);
  });

  it('fails on a pending migration, telling to run piri-db migrate', async () => {
    const config = await healthy(backend);
    await tamper(config, 'egress_tracker', {
      sqlite: ['DELETE FROM __piri_db_migrations WHERE id = (SELECT max(id) FROM __piri_db_migrations)'],
      postgres: ['DELETE FROM piri_db.migrations_egress_tracker WHERE id = (SELECT max(id) FROM piri_db.migrations_egress_tracker)'],
    });
    const report = await runDoctor(config);
    // The newest migration of the store: on PostgreSQL the queue's fillfactor, which SQLite has no use for.
    const newest = backend === 'postgres' ? '0003_queue_fillfactor' : '0002_claim_order_index';
    expect(failures(report)).toEqual([expect.stringMatching(new RegExp(`^egress_tracker: migrations: 1 pending \\(${newest}\\): run \`piri-db migrate\``))]);
  });

  it('fails on rows that break a foreign key', async () => {
    const config = await healthy(backend);
    await tamper(config, 'scheduler', {
      // The orphan goes in with foreign keys off, as a careless manual fix would.
      sqlite: ['PRAGMA foreign_keys = OFF', 'INSERT INTO parked_piece_refs (piece_id, data_headers, long_term) VALUES (999, \'{}\', 1)'],
      // Postgres enforces the key; it can only be broken by a constraint added NOT VALID over an orphan.
      postgres: [
        'ALTER TABLE scheduler.parked_piece_refs DROP CONSTRAINT fk_parked_piece_refs_parked_piece',
        "INSERT INTO scheduler.parked_piece_refs (piece_id, data_headers, long_term) VALUES (999, '{}', true)",
        'ALTER TABLE scheduler.parked_piece_refs ADD CONSTRAINT fk_parked_piece_refs_parked_piece FOREIGN KEY (piece_id) REFERENCES scheduler.parked_pieces(id) ON DELETE CASCADE NOT VALID',
      ],
    });
    const report = await runDoctor(config);
    expect(failures(report)).toEqual([
      backend === 'sqlite'
        ? expect.stringMatching(/^scheduler: foreign keys: foreign_key_check: 1 row\(s\) reference missing parents \(first: parked_piece_refs rowid \d+ -> parked_pieces\)/)
        : expect.stringMatching(/^scheduler: constraints: not validated: fk_parked_piece_refs_parked_piece on scheduler\.parked_piece_refs/),
    ]);
  });

  it('fails on exhausted jobs and warns on claims far beyond their window', async () => {
    const config = await healthy(backend);
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const iso = (ms: number) => new Date(clock.now() + ms).toISOString();
    await tamper(config, 'replicator', {
      // replication allows 10 deliveries: 10 used and visible again is exhausted; one claimed for a day is stuck.
      sqlite: [
        `INSERT INTO jobqueue (queue, body, received, timeout) VALUES ('replication', x'01', 10, '${iso(-1000)}')`,
        `INSERT INTO jobqueue (queue, body, received, timeout) VALUES ('replication', x'02', 1, '${iso(86_400_000)}')`,
      ],
      postgres: [
        `INSERT INTO replicator.jobqueue (queue, body, received, timeout) VALUES ('replication', '\\x01', 10, '${iso(-1000)}')`,
        `INSERT INTO replicator.jobqueue (queue, body, received, timeout) VALUES ('replication', '\\x02', 1, '${iso(86_400_000)}')`,
      ],
    });
    await tamper(config, 'aggregator', {
      sqlite: [`INSERT INTO jobs (ns_id, key, body, avail_s, attempts) VALUES (1, x'0a', x'0b', ${Math.floor(clock.now() / 1000) - 5}, 50)`],
      postgres: [`INSERT INTO aggregator.jobs (ns_id, key, body, avail_s, attempts) VALUES (1, '\\x0a', '\\x0b', ${Math.floor(clock.now() / 1000) - 5}, 50)`],
    });
    const report = await runDoctor(config, { clock });
    expect(failures(report)).toEqual([
      expect.stringMatching(/^replicator: queue replication: 1 job\(s\) exhausted \(10 deliveries used, no longer claimable\)/),
      expect.stringMatching(/^aggregator: queue aggregator: 1 job\(s\) exhausted \(50 deliveries used/),
    ]);
    expect(report.checks.filter((c) => c.status === 'warn').map((c) => `${c.store}: ${c.check}: ${c.detail}`)).toEqual([
      expect.stringMatching(/^replicator: queue replication claims: 1 job\(s\) claimed with a deadline more than 60 min ahead/),
    ]);
    // An hour later the stuck claim has lapsed and the job is deliverable again: only the exhausted ones remain.
    clock.advance(2 * 86_400_000);
    const later = await runDoctor(config, { clock });
    expect(later.checks.filter((c) => c.status === 'warn')).toEqual([]);
  });

  it('reports a store that was never set up, and a backend mismatch, without creating anything', async () => {
    const fresh = await freshConfig(backend);
    const report = await runDoctor(fresh);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.check === 'setup').map((c) => c.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    const other = await freshConfig(backend === 'sqlite' ? 'postgres' : 'sqlite');
    await (await openDatabases(other)).close();
    const mismatch = await runDoctor({ ...fresh, dataDir: other.dataDir });
    expect(mismatch.checks).toEqual([expect.objectContaining({ check: 'backend', status: 'fail', detail: expect.stringMatching(/cannot switch backends/) })]);
  });
});

it('doctor on SQLite: a queue table that lost STRICT fails, a large WAL warns', async () => {
  const config = await healthy('sqlite');
  await tamper(config, 'replicator', {
    sqlite: [
      'PRAGMA foreign_keys = OFF',
      'CREATE TABLE jobqueue_plain AS SELECT * FROM jobqueue',
      'DROP TABLE jobqueue',
      'ALTER TABLE jobqueue_plain RENAME TO jobqueue',
      "CREATE TRIGGER jobqueue_updated_timestamp AFTER UPDATE ON jobqueue BEGIN SELECT 1; END",
    ],
    postgres: [],
  });
  // A reader held open keeps the WAL from being checkpointed away while another connection writes.
  const file = sqliteStoreFile(config.dataDir, STORES.find((s) => s.name === 'aggregator')!);
  const writer = new Database(file);
  writer.pragma('wal_autocheckpoint = 0');
  try {
    writer.exec("INSERT INTO queues (queue, dedupe_enabled) VALUES ('x', 0)");
    const report = await runDoctor(config, { walWarnBytes: 1 });
    expect(failures(report)).toEqual([expect.stringMatching(/^replicator: table shapes: jobqueue is no longer STRICT: a table rebuild/)]);
    expect(report.checks.find((c) => c.store === 'aggregator' && c.check === 'wal')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/jobqueue\.db-wal is .* MiB \(above 0\.0 MiB\)/),
    });
  } finally {
    writer.close();
  }
});
