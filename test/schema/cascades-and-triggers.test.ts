/**
 * The FK behaviours of data-model §8.8, the triggers of §6.3 (and the queue stores' updated-timestamp
 * trigger of §4.2), and id non-reuse (§10 items 2 and 10), exercised with real SQL on a fresh installation per test.
 * Each test first checks the state it starts from, so a no-op schema cannot pass it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoreConnection } from '../../src/backend/types.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';

// ---- small helpers -------------------------------------------------------------------------------------------

type Row = Record<string, unknown>;
interface Raw {
  /** `{table}` is the store's table (schema-qualified on Postgres); `?` are parameters; booleans are mapped per dialect. */
  rows(sql: string, ...params: unknown[]): Promise<Row[]>;
  run(sql: string, ...params: unknown[]): Promise<void>;
}

function raw(conn: StoreConnection): Raw {
  if (conn.dialect === 'sqlite') {
    const prepare = (text: string) => conn.client.prepare(text.replace(/\{(\w+)\}/g, '"$1"'));
    const bind = (params: unknown[]) => params.map((v) => (typeof v === 'boolean' ? Number(v) : v));
    return {
      rows: async (text, ...params) => prepare(text).all(...bind(params)) as Row[],
      run: async (text, ...params) => void prepare(text).run(...bind(params)),
    };
  }
  const { client, schema } = conn;
  const pg = (text: string) => {
    let n = 0;
    return text.replace(/\{(\w+)\}/g, `"${schema}"."$1"`).replace(/\?/g, () => `$${++n}`);
  };
  return {
    rows: async (text, ...params) => [...(await client.unsafe(pg(text), params as never[]))] as Row[],
    run: async (text, ...params) => void (await client.unsafe(pg(text), params as never[])),
  };
}

/** Postgres returns booleans, SQLite 0/1; anything else is returned as is so the assertion shows it. */
const bool = (v: unknown) => (v === null || typeof v === 'boolean' ? v : v === 1 ? true : v === 0 ? false : v);
/** Postgres returns bigint as a string. */
const num = (v: unknown) => (v === null ? null : Number(v));
/** Epoch ms of a timestamp: SQLite text `...Z`, Postgres text `YYYY-MM-DD HH:MM:SS[.fff]+HH` (or a Date). */
const instant = (v: unknown) =>
  v instanceof Date ? v.getTime() : Date.parse(String(v).replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));

async function withInstallation(backend: Dialect, body: (dbs: Databases) => Promise<void>): Promise<void> {
  const dbs = await openDatabases(await freshConfig(backend));
  try {
    await body(dbs);
  } finally {
    await dbs.close();
  }
}

async function count(db: Raw, table: string, where = 'TRUE', ...params: unknown[]): Promise<number> {
  const [row] = await db.rows(`SELECT COUNT(*) AS n FROM {${table}} WHERE ${where}`, ...params);
  return Number(row!.n);
}

// ---- scheduler seeds -----------------------------------------------------------------------------------------

const POSTED = '2024-01-01 00:00:00+00:00';

const seed = (db: Raw) => ({
  task: async () =>
    num((await db.rows(`INSERT INTO {task} (posted_time, added_by, name, retries) VALUES (?, 'session', 'PDPProve', 0) RETURNING id`, POSTED))[0]!.id)!,
  proofSet: (id: number, challengeTask: number | null = null) =>
    db.run(`INSERT INTO {pdp_proof_sets} (id, challenge_request_task_id, create_message_hash, service) VALUES (?, ?, 'create', 'storacha')`, id, challengeTask),
  proveTask: (proofSet: number, task: number) => db.run(`INSERT INTO {pdp_prove_tasks} (proofset_id, task_id) VALUES (?, ?)`, proofSet, task),
  messageWait: (hash: string, status = 'pending', success: boolean | null = null) =>
    db.run(`INSERT INTO {message_waits_eth} (signed_tx_hash, tx_status, tx_success) VALUES (?, ?, ?)`, hash, status, success),
  parkedPiece: async (cid: string, task: number | null = null) =>
    num(
      (
        await db.rows(
          `INSERT INTO {parked_pieces} (piece_cid, piece_padded_size, piece_raw_size, complete, long_term, task_id, cleanup_task_id)
           VALUES (?, 128, 100, ?, ?, ?, ?) RETURNING id`,
          cid,
          true,
          true,
          task,
          task,
        )
      )[0]!.id,
    )!,
  pieceRef: async (piece: number) =>
    num((await db.rows(`INSERT INTO {parked_piece_refs} (piece_id, data_url, long_term) VALUES (?, 'pdpstore://x', ?) RETURNING ref_id`, piece, true))[0]!.ref_id)!,
  pdpPieceref: async (ref: number | null) =>
    num((await db.rows(`INSERT INTO {pdp_piecerefs} (service, piece_cid, piece_ref) VALUES ('storacha', 'bafk', ?) RETURNING id`, ref))[0]!.id)!,
  upload: async (ref: number) => {
    const id = randomUUID();
    await db.run(
      `INSERT INTO {pdp_piece_uploads} (id, service, check_hash_codec, check_hash, check_size, notify_url, piece_ref)
       VALUES (?, 'storacha', 'sha2-256', ?, 1, '', ?)`,
      id,
      Buffer.from([0x12, 0x20, 1, 2, 3]),
      ref,
    );
    return id;
  },
  root: (proofSet: number, rootId: number, hash: string, pieceref: number | null) =>
    db.run(
      `INSERT INTO {pdp_proofset_roots} (proofset_id, root_id, subroot_offset, root, add_message_hash, subroot, pdp_piece_ref_id)
       VALUES (?, ?, 0, 'root', ?, 'sub', ?)`,
      proofSet,
      rootId,
      hash,
      pieceref,
    ),
  rootAdd: (proofSet: number, hash: string, root: string, pieceref: number | null = null) =>
    db.run(
      `INSERT INTO {pdp_proofset_root_adds} (proofset_id, add_message_hash, subroot_offset, root, subroot, pdp_piece_ref_id)
       VALUES (?, ?, 0, ?, 'sub', ?)`,
      proofSet,
      hash,
      root,
      pieceref,
    ),
  create: (hash: string, proofsetCreated = false) =>
    db.run(`INSERT INTO {pdp_proofset_creates} (create_message_hash, proofset_created, service) VALUES (?, ?, 'storacha')`, hash, proofsetCreated),
  registration: (hash: string) => db.run(`INSERT INTO {pdp_provider_registrations} (register_message_hash, service) VALUES (?, 'storacha')`, hash),
});

// ---- section 8.8: FK behaviours ------------------------------------------------------------------------------

forEachBackend('FK behaviours the flows depend on (data-model §8.8)', (backend) => {
  it('task deleted: challenge_request_task_id and parked_pieces task refs -> NULL, its pdp_prove_tasks rows deleted', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      const [doomed, other] = [await s.task(), await s.task()];
      await s.proofSet(7, doomed);
      await s.proofSet(8, other);
      await s.proveTask(7, doomed);
      await s.proveTask(7, other);
      const piece = await s.parkedPiece('bafk-1', doomed);
      const challenge = async () =>
        (await db.rows(`SELECT id, challenge_request_task_id AS t FROM {pdp_proof_sets} ORDER BY id`)).map((r) => [num(r.id), num(r.t)]);
      const proveTasks = async () => (await db.rows(`SELECT task_id FROM {pdp_prove_tasks} ORDER BY task_id`)).map((r) => num(r.task_id));
      const pieceTasks = async () =>
        (await db.rows(`SELECT task_id, cleanup_task_id FROM {parked_pieces} WHERE id = ?`, piece)).map((r) => [num(r.task_id), num(r.cleanup_task_id)]);
      expect(await challenge()).toEqual([[7, doomed], [8, other]]);
      expect(await proveTasks()).toEqual([doomed, other]);
      expect(await pieceTasks()).toEqual([[doomed, doomed]]);

      await db.run(`DELETE FROM {task} WHERE id = ?`, doomed);

      expect(await challenge()).toEqual([[7, null], [8, other]]);
      expect(await proveTasks()).toEqual([other]);
      expect(await pieceTasks()).toEqual([[null, null]]);
    }));

  it('parked_piece_refs deleted: pdp_piecerefs deleted, roots/root_adds pdp_piece_ref_id and uploads piece_ref -> NULL', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      const piece = await s.parkedPiece('bafk-1');
      const [ref, keptRef] = [await s.pieceRef(piece), await s.pieceRef(piece)];
      const [pieceref, keptPieceref] = [await s.pdpPieceref(ref), await s.pdpPieceref(keptRef)];
      const upload = await s.upload(ref);
      await s.proofSet(1);
      await s.messageWait('0xadd');
      await s.root(1, 0, '0xadd', pieceref);
      await s.root(1, 1, '0xadd', keptPieceref);
      await s.rootAdd(1, '0xadd', 'root-a', pieceref);
      await s.rootAdd(1, '0xadd', 'root-b', keptPieceref);
      const rootRefs = async () => (await db.rows(`SELECT pdp_piece_ref_id AS r FROM {pdp_proofset_roots} ORDER BY root_id`)).map((r) => num(r.r));
      const addRefs = async () => (await db.rows(`SELECT pdp_piece_ref_id AS r FROM {pdp_proofset_root_adds} ORDER BY root`)).map((r) => num(r.r));
      const uploadRef = async () => num((await db.rows(`SELECT piece_ref FROM {pdp_piece_uploads} WHERE id = ?`, upload))[0]!.piece_ref);
      expect(await rootRefs()).toEqual([pieceref, keptPieceref]);
      expect(await addRefs()).toEqual([pieceref, keptPieceref]);
      expect(await uploadRef()).toBe(ref);

      await db.run(`DELETE FROM {parked_piece_refs} WHERE ref_id = ?`, ref);

      expect((await db.rows(`SELECT id FROM {pdp_piecerefs}`)).map((r) => num(r.id))).toEqual([keptPieceref]);
      expect(await rootRefs()).toEqual([null, keptPieceref]);
      expect(await addRefs()).toEqual([null, keptPieceref]);
      expect(await uploadRef()).toBeNull();
    }));

  it('parked_pieces deleted: its parked_piece_refs cascade (and their pdp_piecerefs)', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      const [doomed, kept] = [await s.parkedPiece('bafk-doomed'), await s.parkedPiece('bafk-kept')];
      await s.pdpPieceref(await s.pieceRef(doomed));
      await s.pieceRef(doomed);
      const keptRef = await s.pieceRef(kept);
      await s.pdpPieceref(keptRef);
      expect(await count(db, 'parked_piece_refs')).toBe(3);
      expect(await count(db, 'pdp_piecerefs')).toBe(2);

      await db.run(`DELETE FROM {parked_pieces} WHERE id = ?`, doomed);

      expect((await db.rows(`SELECT ref_id FROM {parked_piece_refs}`)).map((r) => num(r.ref_id))).toEqual([keptRef]);
      expect((await db.rows(`SELECT piece_ref FROM {pdp_piecerefs}`)).map((r) => num(r.piece_ref))).toEqual([keptRef]);
    }));

  it('message_waits_eth deleted: creates, roots, root_adds and provider_registrations cascade', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      await s.proofSet(1);
      for (const hash of ['0xdoomed', '0xkept']) {
        await s.messageWait(hash);
        await s.create(hash);
        await s.root(1, hash === '0xdoomed' ? 0 : 1, hash, null);
        await s.rootAdd(1, hash, `root-${hash}`);
        await s.registration(hash);
      }
      const hashes = async () => ({
        creates: (await db.rows(`SELECT create_message_hash AS h FROM {pdp_proofset_creates}`)).map((r) => r.h).sort(),
        roots: (await db.rows(`SELECT add_message_hash AS h FROM {pdp_proofset_roots}`)).map((r) => r.h).sort(),
        rootAdds: (await db.rows(`SELECT add_message_hash AS h FROM {pdp_proofset_root_adds}`)).map((r) => r.h).sort(),
        registrations: (await db.rows(`SELECT register_message_hash AS h FROM {pdp_provider_registrations}`)).map((r) => r.h).sort(),
      });
      const both = ['0xdoomed', '0xkept'];
      expect(await hashes()).toEqual({ creates: both, roots: both, rootAdds: both, registrations: both });

      await db.run(`DELETE FROM {message_waits_eth} WHERE signed_tx_hash = ?`, '0xdoomed');

      const kept = ['0xkept'];
      expect(await hashes()).toEqual({ creates: kept, roots: kept, rootAdds: kept, registrations: kept });
    }));

  it('pdp_proof_sets deleted: prove_tasks, roots and root_adds cascade', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      await s.messageWait('0xadd');
      for (const id of [1, 2]) {
        await s.proofSet(id);
        await s.proveTask(id, await s.task());
        await s.root(id, 0, '0xadd', null);
        await s.rootAdd(id, '0xadd', 'root');
      }
      const proofSets = async (table: string) => (await db.rows(`SELECT proofset_id AS p FROM {${table}} ORDER BY 1`)).map((r) => num(r.p));
      for (const table of ['pdp_prove_tasks', 'pdp_proofset_roots', 'pdp_proofset_root_adds']) expect(await proofSets(table), table).toEqual([1, 2]);

      await db.run(`DELETE FROM {pdp_proof_sets} WHERE id = ?`, 1);

      for (const table of ['pdp_prove_tasks', 'pdp_proofset_roots', 'pdp_proofset_root_adds']) expect(await proofSets(table), table).toEqual([2]);
      expect(await count(db, 'task'), 'tasks are not touched').toBe(2);
    }));
});

// ---- section 6.3: scheduler triggers -------------------------------------------------------------------------

forEachBackend('scheduler triggers (data-model §6.3)', (backend) => {
  it('proofset_refcount: insert +1, delete -1, update moves the count; NULL refs and other-column updates change nothing', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      const piece = await s.parkedPiece('bafk');
      const [a, b] = [await s.pdpPieceref(await s.pieceRef(piece)), await s.pdpPieceref(await s.pieceRef(piece))];
      await s.proofSet(1);
      await s.messageWait('0xadd');
      const counts = async () => {
        const rows = await db.rows(`SELECT id, proofset_refcount AS n FROM {pdp_piecerefs} ORDER BY id`);
        return Object.fromEntries(rows.map((r) => [num(r.id) === a ? 'a' : 'b', num(r.n)]));
      };
      const setRef = (rootId: number, ref: number | null) => db.run(`UPDATE {pdp_proofset_roots} SET pdp_piece_ref_id = ? WHERE root_id = ?`, ref, rootId);
      expect(await counts()).toEqual({ a: 0, b: 0 });

      await s.root(1, 1, '0xadd', a);
      expect(await counts(), 'insert with ref a').toEqual({ a: 1, b: 0 });
      await s.root(1, 2, '0xadd', a);
      expect(await counts(), 'second insert with ref a').toEqual({ a: 2, b: 0 });
      await s.root(1, 3, '0xadd', null);
      expect(await counts(), 'insert without ref').toEqual({ a: 2, b: 0 });

      await setRef(1, b);
      expect(await counts(), 'update a -> b').toEqual({ a: 1, b: 1 });
      await db.run(`UPDATE {pdp_proofset_roots} SET subroot_size = 128, add_message_index = 4 WHERE root_id = 1`);
      expect(await counts(), 'update of other columns').toEqual({ a: 1, b: 1 });
      await setRef(1, b);
      expect(await counts(), 'update b -> b').toEqual({ a: 1, b: 1 });
      await setRef(3, a);
      expect(await counts(), 'update NULL -> a').toEqual({ a: 2, b: 1 });
      await setRef(2, null);
      expect(await counts(), 'update a -> NULL').toEqual({ a: 1, b: 1 });

      await db.run(`DELETE FROM {pdp_proofset_roots} WHERE root_id = 1`);
      expect(await counts(), 'delete with ref b').toEqual({ a: 1, b: 0 });
      await db.run(`DELETE FROM {pdp_proofset_roots} WHERE root_id = 2`);
      expect(await counts(), 'delete without ref').toEqual({ a: 1, b: 0 });
    }));

  it('message status: pending -> confirmed|failed sets creates.ok and root_adds.add_message_ok; nothing else does', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      await s.proofSet(1);
      const cases = {
        confirmedOk: { start: 'pending', created: false, set: { status: 'confirmed', success: true }, ok: true, addOk: true },
        confirmedFailing: { start: 'pending', created: false, set: { status: 'confirmed', success: false }, ok: false, addOk: false },
        failed: { start: 'pending', created: false, set: { status: 'failed', success: null }, ok: false, addOk: false },
        // proofset_created = true: the creates row is left alone, the root_adds row is not
        alreadyCreated: { start: 'pending', created: true, set: { status: 'confirmed', success: true }, ok: null, addOk: true },
        // confirmed -> confirmed is no transition
        confirmedAgain: { start: 'confirmed', created: false, set: { status: 'confirmed', success: true }, ok: null, addOk: null },
        // still pending: no transition either
        stillPending: { start: 'pending', created: false, set: { status: 'pending', success: true }, ok: null, addOk: null },
        // confirmed without a tx_success: the CASE leaves the value unchanged
        confirmedUnknown: { start: 'pending', created: false, set: { status: 'confirmed', success: null }, ok: null, addOk: null },
      } as const;
      const names = Object.keys(cases) as (keyof typeof cases)[];
      for (const name of names) {
        await s.messageWait(name, cases[name].start);
        await s.create(name, cases[name].created);
        await s.rootAdd(1, name, `root-${name}`);
      }
      const outcome = async () => {
        const ok = await db.rows(`SELECT create_message_hash AS h, ok FROM {pdp_proofset_creates}`);
        const addOk = await db.rows(`SELECT add_message_hash AS h, add_message_ok AS ok FROM {pdp_proofset_root_adds}`);
        return Object.fromEntries(
          names.map((n) => [n, { ok: bool(ok.find((r) => r.h === n)!.ok), addOk: bool(addOk.find((r) => r.h === n)!.ok) }]),
        );
      };
      expect(await outcome()).toEqual(Object.fromEntries(names.map((n) => [n, { ok: null, addOk: null }])));

      for (const name of names) {
        const { status, success } = cases[name].set;
        await db.run(`UPDATE {message_waits_eth} SET tx_status = ?, tx_success = ? WHERE signed_tx_hash = ?`, status, success, name);
      }

      expect(await outcome()).toEqual(Object.fromEntries(names.map((n) => [n, { ok: cases[n].ok, addOk: cases[n].addOk }])));
    }));
});

// ---- section 4.2: the queue stores' trigger ------------------------------------------------------------------

forEachBackend('jobqueue_updated_timestamp (data-model §4.2)', (backend) => {
  it.each(['replicator', 'aggregator', 'egressTracker'] as const)('bumps `updated` on every update in the %s store', (api) =>
    withInstallation(backend, async (dbs) => {
      const db = raw(dbs[api].connection);
      const past = '2000-01-01T00:00:00.000Z';
      await db.run(`INSERT INTO {jobqueue} (queue, body, timeout, created, updated) VALUES ('q', ?, ?, ?, ?)`, Buffer.from('{}'), past, past, past);
      const read = async () => {
        const [row] = await db.rows(`SELECT created, updated, received FROM {jobqueue}`);
        return { created: row!.created, updated: row!.updated, received: num(row!.received) };
      };
      const before = await read();
      expect(instant(before.updated)).toBe(Date.parse(past));

      await db.run(`UPDATE {jobqueue} SET received = received + 1`);

      const after = await read();
      expect(after.received).toBe(1);
      expect(instant(after.created), 'created is not touched').toBe(Date.parse(past));
      expect(instant(after.updated)).toBeGreaterThan(Date.parse(past));
      if (backend === 'sqlite') expect(after.updated, 'Piri text format, UTC ms Z').toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }),
  );
});

// ---- section 10 items 2 and 10: ids are never reused ---------------------------------------------------------

forEachBackend('ids are never reused', (backend) => {
  it('task ids: not after deleting the max row, nor after emptying the table', () =>
    withInstallation(backend, async ({ scheduler }) => {
      const db = raw(scheduler.connection);
      const s = seed(db);
      const first = [await s.task(), await s.task(), await s.task()];
      expect(first).toEqual([first[0], first[0]! + 1, first[0]! + 2]);
      await db.run(`DELETE FROM {task} WHERE id = ?`, first[2]);
      const next = await s.task();
      expect(next).toBeGreaterThan(first[2]!);
      await db.run(`DELETE FROM {task}`);
      expect(await s.task()).toBeGreaterThan(next);
    }));

  it('dedup jobs ids: not after the queue drains', () =>
    withInstallation(backend, async ({ aggregator }) => {
      const db = raw(aggregator.connection);
      const ns = num((await db.rows(`INSERT INTO {job_ns} (queue, name) VALUES ('aggregator', 'aggregate_piece') RETURNING id`))[0]!.id);
      const send = async (key: number) =>
        num((await db.rows(`INSERT INTO {jobs} (ns_id, key, body, avail_s) VALUES (?, ?, ?, 0) RETURNING id`, ns, Buffer.from([key]), Buffer.from('{}')))[0]!.id)!;
      const [, last] = [await send(1), await send(2)];
      await db.run(`DELETE FROM {jobs}`);
      expect(await count(db, 'jobs')).toBe(0);
      expect(await send(3)).toBeGreaterThan(last);
    }));

  it('job_ns rows referenced by jobs or job_dead cannot be deleted (FK, no ON DELETE action)', () =>
    withInstallation(backend, async ({ aggregator }) => {
      const db = raw(aggregator.connection);
      const nsId = async (name: string) =>
        num((await db.rows(`INSERT INTO {job_ns} (queue, name) VALUES ('aggregator', ?) RETURNING id`, name))[0]!.id);
      const [live, dead] = [await nsId('live'), await nsId('dead')];
      await db.run(`INSERT INTO {jobs} (ns_id, key, body, avail_s) VALUES (?, ?, ?, 0)`, live, Buffer.from([1]), Buffer.from('{}'));
      await db.run(
        `INSERT INTO {job_dead} (id, ns_id, key, body, attempts, reason, error) VALUES (1, ?, ?, ?, 50, 'max_retries', 'boom')`,
        dead,
        Buffer.from([2]),
        Buffer.from('{}'),
      );
      await expect(db.run(`DELETE FROM {job_ns} WHERE id = ?`, live)).rejects.toThrow(/foreign key/i);
      await expect(db.run(`DELETE FROM {job_ns} WHERE id = ?`, dead)).rejects.toThrow(/foreign key/i);
      expect(await count(db, 'job_ns')).toBe(2);
    }));
});

describe('raw helper', () => {
  it('normalises booleans and numbers from both drivers', () => {
    expect([bool(1), bool(0), bool(true), bool(false), bool(null), bool('t')]).toEqual([true, false, true, false, null, 't']);
    expect([num('12'), num(12), num(null)]).toEqual([12, 12, null]);
    const t = Date.parse('2000-01-01T00:00:00.000Z');
    expect([instant('2000-01-01T00:00:00.000Z'), instant('2000-01-01 01:00:00+01'), instant('2000-01-01 00:00:00.5+00')]).toEqual([t, t, t + 500]);
  });
});
