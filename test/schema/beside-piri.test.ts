/**
 * "Safe beside Piri" (issue 14), SQLite: Piri v0.2.4 started on a scheduler file piri-db made must find nothing
 * to change. Piri itself cannot run here; test/support/gorm/ decides what its AutoMigrate would do, from the
 * data model's facts (docs/data-model.md) and GORM's source. Before migration 0003_gorm_shape it would rebuild ten
 * tables to add FK constraints it could not find by name (with foreign keys on: the rebuild's DROP TABLE cascade-deletes
 * parked_piece_refs and pdp_piecerefs) and to set the column defaults its parser could not read back.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import { SQLITE_JOURNAL } from '../../src/backend/sqlite/migrate.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { autoMigratePlan } from '../support/gorm/auto-migrate.ts';
import { parseDdl } from '../support/gorm/ddl.ts';
import { createIndexSql, createTableSql } from '../support/gorm/dialect.ts';
import { PIRI_MODELS } from '../support/gorm/models.ts';
import { freshConfig, tempDir } from '../support/installations.ts';

const scheduler = STORES.find((s) => s.name === 'scheduler')!;
const GORM_SHAPE = shippedMigrations('sqlite', scheduler).findIndex((m) => m.tag.endsWith('_gorm_shape'));

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});
function openFile(path: string): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  open.push(db);
  return db;
}

/** A scheduler file as builds before 0003_gorm_shape left it: their migrations applied and journaled. */
function schedulerFileBeforeGormShape(dataDir: string): Database.Database {
  const db = openFile(join(dataDir, scheduler.sqlitePath));
  db.exec(`CREATE TABLE ${SQLITE_JOURNAL} (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
  for (const migration of shippedMigrations('sqlite', scheduler).slice(0, GORM_SHAPE)) {
    for (const statement of migration.statements) db.exec(statement);
    db.prepare(`INSERT INTO ${SQLITE_JOURNAL} (hash, created_at) VALUES (?, ?)`).run(migration.hash, migration.createdAt);
  }
  return db;
}

/** One or more rows in each of Piri's 18 tables, linked through every foreign key. */
const ROWS = `
  INSERT INTO task (id, update_time, posted_time, added_by, name, retries) VALUES
    (1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 's1', 'PDPProve', 0),
    (2, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 's1', 'PDPInitPP', 1),
    (7, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 's1', 'SendTransaction', 0);
  DELETE FROM task WHERE id = 7; -- the sequence stays at 7: id 7 must never come back
  INSERT INTO task_history (task_id, name, posted, work_start, work_end, result, err, completed_by_session_id)
    VALUES (7, 'SendTransaction', '2026-01-01', '2026-01-01', '2026-01-01', 1, '', 's1');
  INSERT INTO parked_pieces (id, piece_cid, piece_padded_size, piece_raw_size, complete, task_id, long_term) VALUES (1, 'bafk-piece', 128, 100, 1, 2, 1);
  INSERT INTO parked_piece_refs (ref_id, piece_id, data_url, long_term) VALUES (1, 1, 'pdpstore://z1', 1);
  INSERT INTO pdp_piece_uploads (id, service, check_hash_codec, check_hash, check_size, notify_url, piece_ref)
    VALUES ('0b9d6c1e-0000-4000-8000-000000000001', 'storacha', 'sha2-256', x'1220ab', 100, '', 1);
  INSERT INTO pdp_piecerefs (id, service, piece_cid, piece_ref) VALUES (1, 'storacha', 'bafk-piece', 1);
  INSERT INTO pdp_piece_mh_to_commp (mhash, size, commp) VALUES (x'1220ab', 100, 'bafk-piece');
  INSERT INTO pdp_proof_sets (id, challenge_request_task_id, create_message_hash, service) VALUES (42, 1, '0xcreate', 'storacha');
  INSERT INTO pdp_prove_tasks (proofset_id, task_id) VALUES (42, 1);
  INSERT INTO message_waits_eth (waiter_machine_id, signed_tx_hash, confirmed_tx_hash, tx_status) VALUES
    (1, '0xcreate', '', 'confirmed'), (1, '0xadd', '', 'pending'), (1, '0xreg', '', 'pending');
  INSERT INTO pdp_proofset_creates (create_message_hash, ok, proofset_created, service) VALUES ('0xcreate', 1, 1, 'storacha');
  INSERT INTO pdp_proofset_roots (proofset_id, root_id, subroot_offset, root, add_message_hash, add_message_index, subroot, subroot_offset_val, subroot_size, pdp_piece_ref_id)
    VALUES (42, 0, 0, 'bafk-root', '0xadd', 0, 'bafk-piece', 0, 128, 1);
  INSERT INTO pdp_proofset_root_adds (proofset_id, add_message_hash, subroot_offset, root, add_message_index, subroot, subroot_size, pdp_piece_ref_id)
    VALUES (42, '0xadd', 0, 'bafk-root2', 1, 'bafk-piece', 128, 1);
  INSERT INTO pdp_provider_registrations (register_message_hash, service) VALUES ('0xreg', 'storacha');
  INSERT INTO message_sends_eth (from_address, to_address, send_reason, send_task_id, unsigned_tx, unsigned_hash) VALUES ('0xA', '0xB', 'pdp-addroots', 7, x'01', '0xu');
  INSERT INTO message_send_eth_locks (from_address, task_id, claimed_at) VALUES ('0xA', 7, '2026-01-01 00:00:00');
  INSERT INTO rail_settlement_waits (rail_id, signed_tx_hash) VALUES ('r1', '0xrail');
  INSERT INTO withdrawal_waits (signed_tx_hash) VALUES ('0xwithdraw');
`;

/** Every row of every model table, in a stable order. */
function dump(db: Database.Database): Record<string, string[]> {
  return Object.fromEntries(
    PIRI_MODELS.map(({ table }) => [table, (db.prepare(`SELECT * FROM ${table}`).all() as object[]).map((r) => JSON.stringify(r)).sort()]),
  );
}

describe('GORM AutoMigrate on a scheduler file (SQLite)', () => {
  it("reads columns back as GORM's parser does", () => {
    const [complete, refcount] = parseDdl(['CREATE TABLE `t` (`complete` numeric DEFAULT false NOT NULL,`refcount` integer NOT NULL DEFAULT 0)']);
    expect(complete).toMatchObject({ name: 'complete', nullable: false, default: 'false NOT NULL' });
    expect(refcount).toMatchObject({ name: 'refcount', nullable: false, default: '0' });
    // A tab counts as a quote: drizzle-kit's tab-indented columns run together, and b's default is lost.
    const tabbed = 'CREATE TABLE `t` (\n\t`a` integer,\n\t`b` text DEFAULT \'x\' NOT NULL,\n\t`c` integer\n)';
    expect(parseDdl([tabbed]).map((c) => c.name)).toEqual(['c']);
  });

  it('finds nothing to change in a file GORM made itself (the emulator agrees with GORM)', () => {
    const db = openFile(join(tempDir(), 'piri.db'));
    for (const model of PIRI_MODELS) {
      db.exec(createTableSql(model));
      for (const index of createIndexSql(model)) db.exec(index);
    }
    expect(autoMigratePlan(db, PIRI_MODELS)).toEqual([]);
  });

  it("finds nothing to change in a fresh piri-db installation's file", async () => {
    const config = await freshConfig('sqlite');
    await (await openDatabases(config)).close();
    const db = openFile(join(config.dataDir, scheduler.sqlitePath));
    expect(autoMigratePlan(db, PIRI_MODELS)).toEqual([]);
  });

  it('would rebuild every table with a foreign key or a default in a file made before 0003_gorm_shape', () => {
    const db = schedulerFileBeforeGormShape(tempDir());
    const plan = autoMigratePlan(db, PIRI_MODELS);
    const describe = (c: { table: string; action: string; name?: string }) => `${c.table}: ${c.action} ${c.name}`;
    expect(plan.filter((c) => c.action === 'create constraint').map(describe)).toEqual(
      PIRI_MODELS.flatMap((m) => m.relations.map((r) => `${m.table}: create constraint ${r.name}`)),
    );
    // drizzle's tab-indented DDL hides most columns from GORM's parser, and with them their defaults.
    expect(plan.filter((c) => c.action === 'alter column').map((c) => `${c.table}.${c.name}: ${c.why}`)).toEqual(
      PIRI_MODELS.flatMap((m) =>
        m.fields.filter((f) => f.default !== undefined).map((f) => `${m.table}.${f.column}: no default found where the model has ${f.default}`),
      ),
    );
    expect(plan.filter((c) => c.action !== 'create constraint' && c.action !== 'alter column')).toEqual([]);
  });

  it('upgrading such a file keeps every row, the id sequences and the triggers; then GORM finds nothing to change', async () => {
    const dataDir = tempDir();
    const before = schedulerFileBeforeGormShape(dataDir);
    before.exec(ROWS);
    const rows = dump(before);
    const sequences = before.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY name').all();
    before.close();
    open.splice(open.indexOf(before), 1);

    const config = await freshConfig('sqlite', dataDir);
    await (await openDatabases(config)).close();

    const db = openFile(join(dataDir, scheduler.sqlitePath));
    expect(dump(db)).toEqual(rows);
    expect(db.prepare('SELECT name, seq FROM sqlite_sequence ORDER BY name').all()).toEqual(sequences);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    expect(autoMigratePlan(db, PIRI_MODELS)).toEqual([]);

    db.pragma('foreign_keys = ON');
    // AUTOINCREMENT still remembers the deleted task 7.
    const next = db.prepare(`INSERT INTO task (posted_time, added_by, name, retries) VALUES ('2026-01-02', 's2', 'PDPProve', 0)`).run();
    expect(next.lastInsertRowid).toBe(8);
    // The refcount triggers are back: inserting and deleting a root moves the count.
    const refcount = () => db.prepare('SELECT proofset_refcount FROM pdp_piecerefs WHERE id = 1').pluck().get();
    const start = refcount() as number;
    db.exec(`INSERT INTO pdp_proofset_roots (proofset_id, root_id, subroot_offset, root, add_message_hash, subroot, pdp_piece_ref_id) VALUES (42, 1, 0, 'r', '0xadd', 's', 1)`);
    expect(refcount()).toBe(start + 1);
    // The status triggers too: confirming the add sets add_message_ok.
    db.exec(`UPDATE message_waits_eth SET tx_status = 'confirmed', tx_success = 1 WHERE signed_tx_hash = '0xadd'`);
    expect(db.prepare(`SELECT add_message_ok FROM pdp_proofset_root_adds WHERE add_message_hash = '0xadd'`).pluck().get()).toBe(1);
    // And the named constraints still cascade: removing the parked ref removes its pdp_piecerefs row.
    db.exec('DELETE FROM parked_piece_refs WHERE ref_id = 1');
    expect(db.prepare('SELECT count(*) FROM pdp_piecerefs').pluck().get()).toBe(0);
  });
});
