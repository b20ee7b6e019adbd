/**
 * Representative rows in every store (binary with 0x00 and 0xff, unicode, timestamps with milliseconds and
 * database defaults, NULLs, booleans, JSON, ids beyond 32 bits, a trigger-maintained refcount), written
 * through the schema's own drizzle tables, and dumps of an installation read with the raw drivers (not with
 * the code under test) for comparisons.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import * as pgAggregator from '../../schema/postgres/aggregator.ts';
import * as pgEgress from '../../schema/postgres/egress_tracker.ts';
import * as pgReplicator from '../../schema/postgres/replicator.ts';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteAggregator from '../../schema/sqlite/aggregator.ts';
import * as sqliteEgress from '../../schema/sqlite/egress_tracker.ts';
import * as sqliteReplicator from '../../schema/sqlite/replicator.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import type { Config } from '../../src/config/load.ts';
import { storeTables } from '../../src/operations/catalog.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';

const at = (iso: string) => new Date(iso);
const bytes = (...values: number[]) => Buffer.from(values);

/** Fills a fresh installation; returns after closing it. */
export async function seed(config: Config): Promise<void> {
  const sqlite = config.database.type === 'sqlite';
  const s = sqlite ? sqliteScheduler : pgScheduler;
  const r = sqlite ? sqliteReplicator : pgReplicator;
  const a = sqlite ? sqliteAggregator : pgAggregator;
  const e = sqlite ? sqliteEgress : pgEgress;
  const dbs = await openDatabases(config);
  // The two dialects' drizzle instances take the same values (schema/row-types.check.ts).
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const insert = async (db: unknown, table: unknown, values: unknown) => (db as any).insert(table).values(values);
  try {
    const sch = dbs.scheduler.db;
    await insert(sch, s.task, [
      { id: 7, postedTime: at('2024-03-04T05:06:07.089Z'), addedBy: 'session-ü-🙂', name: 'PDPProve', retries: 0 },
      {
        id: 5_000_000_123,
        updateTime: at('2024-03-04T05:06:08.001Z'),
        postedTime: at('2024-03-04T05:06:07.999Z'),
        sessionId: '0190c6a0-7d5b-7000-8000-000000000001',
        addedBy: 'x',
        initiatedBy: 3,
        previousTask: null,
        name: 'SendTransaction',
        retries: 2,
      },
    ]);
    await insert(sch, s.taskHistory, [
      {
        taskId: 6,
        name: 'PDPProve',
        posted: at('2024-01-01T00:00:00.123Z'),
        workStart: at('2024-01-01T00:00:01.456Z'),
        workEnd: at('2024-01-01T00:00:02.789Z'),
        result: true,
        err: '',
        completedBySessionId: 's1',
      },
      {
        taskId: 5,
        name: 'PDPInitPP',
        posted: at('2023-12-31T23:59:59.999Z'),
        workStart: at('2024-01-01T00:00:00.001Z'),
        workEnd: at('2024-01-01T00:00:00.002Z'),
        result: false,
        err: 'error: tx reverted — «gas» 💥',
        completedBySessionId: 's2',
      },
      {
        taskId: 4,
        name: 'PDPProve',
        posted: at('2024-01-01T00:00:00.5Z'),
        workStart: at('2024-01-01T00:00:00.5Z'),
        workEnd: at('2024-01-01T00:00:00.5Z'),
        result: true,
        err: 'deferred: line 1\nline 2\ttab \\ backslash \\N not null\r',
        completedBySessionId: 's3',
      },
    ]);
    await insert(sch, s.parkedPieces, [
      { id: 1, pieceCid: 'bafkzcibcaapao7', piecePaddedSize: 34_359_738_368, pieceRawSize: 1_000_000_001, complete: true, taskId: 7, longTerm: true },
      { id: 2, pieceCid: 'bafkzcibcaapao8', piecePaddedSize: 128, pieceRawSize: 127, complete: false, longTerm: false, createdAt: at('2024-02-02T02:02:02.202Z') },
    ]);
    await insert(sch, s.parkedPieceRefs, [
      { refId: 10, pieceId: 1, dataUrl: 'pdpstore://zQm…', dataHeaders: { b: 1, a: [1, 2.5, 'ünï'], nested: { z: null, t: true } }, longTerm: true },
      { refId: 11, pieceId: 2, dataUrl: null, dataHeaders: {}, longTerm: false },
    ]);
    await insert(sch, s.pdpPieceUploads, {
      id: '3f2b8c1e-1d2a-4b5c-9e8f-0a1b2c3d4e5f',
      service: 'storacha',
      checkHashCodec: 'sha2-256',
      checkHash: bytes(0x12, 0x20, 0x00, 0xff, 0x7f, 0x80, 0x00),
      checkSize: 4_294_967_296,
      notifyUrl: '',
      pieceRef: 10,
      createdAt: at('2024-05-06T07:08:09.010Z'),
    });
    await insert(sch, s.pdpPiecerefs, { id: 20, service: 'storacha', pieceCid: 'bafkzcibcaapao7', pieceRef: 10 });
    await insert(sch, s.pdpPieceMhToCommp, { mhash: bytes(0x12, 0x20, ...Array.from({ length: 32 }, (_, i) => 255 - i)), size: 1234, commp: 'bafkzcibcaapao7' });
    await insert(sch, s.pdpProofSets, { id: 42, provingPeriod: 2880, challengeWindow: 60, initReady: true, createMessageHash: '0xcreate', service: 'storacha', challengeRequestTaskId: 7 });
    await insert(sch, s.messageWaitsEth, [
      { signedTxHash: '0xcreate', waiterMachineId: 1, txStatus: 'pending', confirmedTxHash: '', confirmedTxData: null, txReceipt: null, txSuccess: null },
      {
        signedTxHash: '0xadd',
        waiterMachineId: 1,
        confirmedBlockNumber: 9_007_199_254,
        txStatus: 'confirmed',
        confirmedTxHash: '0xadd',
        confirmedTxData: { nonce: '0x1', input: '0xdeadbeef', list: [1, { k: 'v' }] },
        txReceipt: { status: 1, logs: [] },
        txSuccess: true,
      },
    ]);
    await insert(sch, s.pdpProofsetCreates, { createMessageHash: '0xcreate', ok: null, proofsetCreated: false, service: 'storacha' });
    // Fires pdp_proofset_root_insert: pdp_piecerefs 20 gets proofset_refcount 1, which a copy must not double.
    await insert(sch, s.pdpProofsetRoots, {
      proofsetId: 42,
      rootId: 0,
      subrootOffset: 0,
      root: 'bafkroot',
      addMessageHash: '0xadd',
      addMessageIndex: 0,
      subroot: 'bafksub',
      subrootOffsetVal: 0,
      subrootSize: 128,
      pdpPieceRefId: 20,
    });
    await insert(sch, s.pdpProofsetRootAdds, { proofsetId: 42, addMessageHash: '0xadd', subrootOffset: 128, root: 'bafkroot2', addMessageOk: true, subroot: 'bafksub2', pdpPieceRefId: null });
    await insert(sch, s.pdpProveTasks, { proofsetId: 42, taskId: 7 });
    await insert(sch, s.pdpProviderRegistrations, { registerMessageHash: '0xadd', ok: false, providerRegistered: true, providerId: 17, service: 'storacha' });
    await insert(sch, s.messageSendsEth, {
      fromAddress: '0xAbC',
      toAddress: '0xDef',
      sendReason: 'pdp-prove',
      sendTaskId: 7,
      unsignedTx: bytes(0x02, 0xf8, 0x00, 0xff),
      unsignedHash: '0xu',
      nonce: 0,
      signedTx: null,
      sendTime: at('2024-06-07T08:09:10.011Z'),
      sendSuccess: null,
      sendError: '',
    });
    await insert(sch, s.messageSendEthLocks, { fromAddress: '0xAbC', taskId: 7, claimedAt: at('2024-06-07T08:09:10.012Z') });
    await insert(sch, s.railSettlementWaits, { railId: 'rail-1', signedTxHash: '0xrail', createdAt: null });
    await insert(sch, s.withdrawalWaits, { id: 1_099_511_627_776, signedTxHash: '0xw', createdAt: at('2024-07-08T09:10:11.012Z') });

    for (const [db, tables, queue] of [
      [dbs.replicator.db, r, 'replication'],
      [dbs.aggregator.db, a, 'compute_commp'],
      [dbs.egressTracker.db, e, 'egress-tracker'],
    ] as const) {
      await insert(db, tables.jobqueue, [
        { id: 'm_00000000000000000000000000000001', queue, body: bytes(0, 1, 2, 255), received: 0, timeout: at('2024-01-01T00:00:00.000Z'), created: at('2024-01-01T00:00:00.001Z'), updated: at('2024-01-01T00:00:00.001Z') },
        { id: 'm_00000000000000000000000000000002', queue, body: Buffer.from('{"ünïcode":"✓"}'), received: 3, timeout: at('2024-06-01T00:00:00.999Z') },
      ]);
      await insert(db, tables.jobqueueDead, {
        id: 'm_0000000000000000000000000000dead',
        created: at('2024-01-01T00:00:00.001Z'),
        updated: at('2024-01-02T00:00:00.002Z'),
        queue,
        body: bytes(255, 0),
        timeout: at('2024-01-03T00:00:00.003Z'),
        received: 10,
        jobName: 'transfer-task',
        failureReason: 'max_retries',
        errorMessage: 'boom ✗',
        movedAt: at('2024-01-04T00:00:00.004Z'),
      });
    }
    const agg = dbs.aggregator.db;
    await insert(agg, a.queues, { queue: 'aggregator', dedupeEnabled: 1 });
    await insert(agg, a.jobNs, { id: 1, queue: 'aggregator', name: 'aggregate_piece' });
    await insert(agg, a.jobs, [
      { id: 5, nsId: 1, key: createHash('sha256').update('k1').digest(), body: bytes(1, 2, 3), createdS: 1_700_000_000, availS: 1_700_000_030, attempts: 1 },
      { id: 9, nsId: 1, key: createHash('sha256').update('k2').digest(), body: Buffer.alloc(0), createdS: 1_700_000_001, availS: 1_700_000_001, attempts: 0 },
    ]);
    await insert(agg, a.jobDone, { nsId: 1, key: createHash('sha256').update('k0').digest(), status: 1, doneS: 1_699_999_999 });
    await insert(agg, a.jobDead, { id: 4, nsId: 1, key: createHash('sha256').update('kd').digest(), body: bytes(9), attempts: 50, reason: 'max_retries', error: 'nope', movedS: 1_700_000_100 });
  } finally {
    await dbs.close();
  }
}

export type Dump = Record<string, string[]>;

/**
 * Every row of every table the schema knows, read with the raw driver, as sorted JSON lines. SQLite values
 * exactly as stored (integers as decimal, blobs as hex, timestamps as their text), except JSON columns,
 * compared by value (jsonb keeps neither key order nor blanks); Postgres rows as to_jsonb text.
 */
export async function dump(config: Config): Promise<Dump> {
  const out: Dump = {};
  if (config.database.type === 'sqlite') {
    for (const store of STORES) {
      const db = new Database(sqliteStoreFile(config.dataDir, store), { readonly: true });
      try {
        for (const table of storeTables(store)) {
          const json = new Set(table.columns.filter((c) => c.kind === 'json').map((c) => c.name));
          const rows = db.prepare(`SELECT * FROM "${table.name}"`).safeIntegers(true).all() as Record<string, unknown>[];
          out[`${store.name}.${table.name}`] = rows
            .map((row) =>
              JSON.stringify(row, (k, v) =>
                typeof v === 'bigint'
                  ? `int:${v}`
                  : isBuffer(v)
                    ? `hex:${Buffer.from(v.data).toString('hex')}`
                    : json.has(k) && typeof v === 'string'
                      ? `json:${sortedJson(JSON.parse(v))}`
                      : v,
              ),
            )
            .sort();
        }
      } finally {
        db.close();
      }
    }
    return out;
  }
  const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
  try {
    for (const store of STORES) {
      for (const table of storeTables(store)) {
        const rows = await sql.unsafe<{ j: string }[]>(`SELECT to_jsonb(t)::text AS j FROM "${store.pgSchema}"."${table.name}" t`);
        out[`${store.name}.${table.name}`] = rows.map((r) => r.j).sort();
      }
    }
  } finally {
    await sql.end();
  }
  return out;
}

/** JSON columns are compared by value: jsonb keeps neither key order nor blanks. */
function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sort(value));
}

function isBuffer(v: unknown): v is { type: 'Buffer'; data: number[] } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer';
}

/** Row counts per `store.table`. */
export function counts(d: Dump): Record<string, number> {
  return Object.fromEntries(Object.entries(d).map(([k, rows]) => [k, rows.length]));
}

/** sha256 and mtime of each SQLite store file: "untouched" means equal. */
export function storeFiles(dataDir: string): Record<string, string> {
  return Object.fromEntries(
    STORES.map((s) => {
      const file = sqliteStoreFile(dataDir, s);
      return [s.name, `${createHash('sha256').update(readFileSync(file)).digest('hex')}@${statSync(file).mtimeMs}`];
    }),
  );
}
