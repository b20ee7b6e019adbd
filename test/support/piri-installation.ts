/**
 * A Piri v0.2.4 installation, as Piri leaves it, for adopt's tests: the four SQLite files at Piri's paths (WAL, as
 * Piri opens them) or the four Postgres schemas, created by Piri's DDL (docs/data-model.md; src/catalog/
 * piri-schema.ts), with rows as Piri writes them: times in the local zone of a host east of UTC beside UTC
 * defaults, and on SQLite a dedup queue whose ids were handed out again after it drained.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import type { Config } from '../../src/config/load.ts';
import { PIRI_SCHEMA } from '../../src/catalog/piri-schema.ts';
import { sqliteStoreFile } from '../../src/backend/sqlite/file.ts';
import { type Dialect, type StoreName, STORES } from '../../src/catalog/registry.ts';

/** The zone of the host Piri ran on: UTC+05:00, so its local times sort five hours late as UTC text. */
export const PIRI_ZONE_MINUTES = 5 * 60;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function local(date: Date): { day: string; clock: string; zone: string } {
  const shifted = new Date(date.getTime() + PIRI_ZONE_MINUTES * 60_000);
  const zone = `+${pad(Math.floor(PIRI_ZONE_MINUTES / 60))}:${pad(PIRI_ZONE_MINUTES % 60)}`;
  const day = `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}`;
  const clock = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
  return { day, clock, zone };
}

/** Go's `2006-01-02T15:04:05.000Z07:00` in the host's zone: the plain queue's app-written times. */
export function goQueueTime(date: Date): string {
  const { day, clock, zone } = local(date);
  return `${day}T${clock}.${pad(date.getUTCMilliseconds(), 3)}${zone}`;
}

/** GORM's `2006-01-02 15:04:05.999999999-07:00` in the host's zone (nanoseconds; Go trims trailing zeros). */
export function gormTime(date: Date): string {
  const { day, clock, zone } = local(date);
  const nanos = `${pad(date.getUTCMilliseconds(), 3)}123456`.replace(/0+$/, '');
  return `${day} ${clock}${nanos ? `.${nanos}` : ''}${zone}`;
}

/** SQLite's CURRENT_TIMESTAMP and the queues' strftime defaults: UTC. */
const utcDefault = (date: Date) => date.toISOString().slice(0, 19).replace('T', ' ');

type Row = Record<string, string | number | boolean | null | Uint8Array>;

/** A Piri envelope: `{"name","message"}` and Go's trailing newline. */
export function envelope(name: string, payload: string): Uint8Array {
  return Buffer.from(`${JSON.stringify({ name, message: Buffer.from(payload).toString('base64') })}\n`);
}

/**
 * The rows Piri would have written by `now`, per store and table, parents first. On SQLite the live dedup job has
 * an id a dead letter already has (Piri's rowids restart once the queue drains); Postgres SERIALs never do that.
 */
export function piriRows(now: Date, dialect: Dialect): Record<StoreName, [string, Row[]][]> {
  const reusedId = dialect === 'sqlite' ? 1 : 3;
  const ago = (ms: number) => new Date(now.getTime() - ms);
  const due = goQueueTime(now);
  return {
    scheduler: [
      [
        'task',
        [
          // Claimable since a minute (no session); written by the engine at add: update_time from the default (UTC).
          { id: 1, update_time: utcDefault(ago(60_000)), posted_time: gormTime(ago(60_000)), session_id: null, added_by: 'session-a', name: 'PDPProve', retries: 0 },
          // Released for a retry a second ago: update_time written by Piri, local zone.
          { id: 2, update_time: gormTime(ago(1_000)), posted_time: gormTime(ago(120_000)), session_id: null, added_by: 'session-a', name: 'SendTransaction', retries: 1 },
        ],
      ],
      [
        'task_history',
        [{ id: 1, task_id: 3, name: 'PDPInitPP', posted: gormTime(ago(300_000)), work_start: gormTime(ago(200_000)), work_end: gormTime(ago(199_000)), result: true, err: '', completed_by_session_id: 'session-a' }],
      ],
      ['message_waits_eth', [{ waiter_machine_id: 1, signed_tx_hash: '0xaa', confirmed_tx_hash: '', tx_status: 'pending' }]],
      ['pdp_proofset_creates', [{ create_message_hash: '0xaa', ok: null, proofset_created: false, service: 'storacha', created_at: utcDefault(ago(10_000)) }]],
      ['parked_pieces', [{ id: 1, created_at: utcDefault(ago(50_000)), piece_cid: 'bafkpiece', piece_padded_size: 128, piece_raw_size: 100, complete: true, long_term: true }]],
      ['parked_piece_refs', [{ ref_id: 1, piece_id: 1, data_url: 'pdpstore://z1', data_headers: '{}', long_term: true }]],
      ['pdp_piecerefs', [{ id: 1, service: 'storacha', piece_cid: 'bafkpiece', piece_ref: 1, created_at: utcDefault(ago(50_000)), proofset_refcount: 0 }]],
      ['message_sends_eth', [{ from_address: '0xF', to_address: '0xT', send_reason: 'pdp-prove', send_task_id: 3, unsigned_tx: Buffer.from([1, 2]), unsigned_hash: '0xu', nonce: 7, signed_tx: Buffer.from([3]), signed_hash: '0xs', send_time: gormTime(ago(199_500)), send_success: true, send_error: '' }]],
    ],
    replicator: [
      [
        'jobqueue',
        [
          // Sent a minute ago, never received: created by the default (UTC), timeout by Piri (local zone, = send time).
          { id: `m_${'1'.repeat(32)}`, created: ago(60_000).toISOString(), updated: ago(60_000).toISOString(), queue: 'replication', body: envelope('transfer-task', '{"a":1}'), timeout: goQueueTime(ago(60_000)), received: 0 },
          // Claimed a second ago for 5 s: not receivable for 4 s more.
          { id: `m_${'2'.repeat(32)}`, created: ago(120_000).toISOString(), updated: ago(1_000).toISOString(), queue: 'replication', body: envelope('transfer-task', '{"a":2}'), timeout: goQueueTime(new Date(now.getTime() + 4_000)), received: 1 },
        ],
      ],
      [
        'jobqueue_dead',
        [{ id: `m_${'3'.repeat(32)}`, created: ago(900_000).toISOString(), updated: ago(800_000).toISOString(), queue: 'replication', body: envelope('transfer-task', '{"a":3}'), timeout: goQueueTime(ago(800_000)), received: 10, job_name: 'transfer-task', failure_reason: 'max_retries', error_message: 'connection refused', moved_at: goQueueTime(ago(800_000)) }],
      ],
    ],
    aggregator: [
      ['jobqueue', [{ id: `m_${'4'.repeat(32)}`, created: ago(5_000).toISOString(), updated: ago(5_000).toISOString(), queue: 'compute_commp', body: envelope('compute_commp', 'mh'), timeout: due, received: 0 }]],
      ['queues', [{ queue: 'aggregator', dedupe_enabled: 1 }]],
      ['job_ns', [{ id: 1, queue: 'aggregator', name: 'aggregate_piece' }]],
      // The queue drained after jobs 1 and 2 were dead-lettered, and Piri handed id 1 out again.
      ['jobs', [{ id: reusedId, ns_id: 1, key: Buffer.alloc(32, 9), body: envelope('aggregate_piece', 'piece-9'), created_s: Math.floor(now.getTime() / 1000) - 30, avail_s: Math.floor(now.getTime() / 1000) - 30, attempts: 0 }]],
      [
        'job_dead',
        [1, 2].map((id) => ({ id, ns_id: 1, key: Buffer.alloc(32, id), body: envelope('aggregate_piece', `piece-${id}`), attempts: 50, reason: 'max_retries', error: 'boom', moved_s: Math.floor(now.getTime() / 1000) - 600 })),
      ],
      ['job_done', [{ ns_id: 1, key: Buffer.alloc(32, 7), status: 1, done_s: Math.floor(now.getTime() / 1000) - 900 }]],
    ],
    egress_tracker: [
      ['jobqueue', [{ id: `m_${'5'.repeat(32)}`, created: ago(2_000).toISOString(), updated: ago(2_000).toISOString(), queue: 'egress-tracker', body: envelope('egress-track-task', '{"/":"bafy"}'), timeout: goQueueTime(ago(2_000)), received: 0 }]],
    ],
  };
}

/** Rows per `store.table` that createPiriInstallation writes. */
export function piriRowCounts(dialect: Dialect): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [store, tables] of Object.entries(piriRows(new Date(), dialect))) for (const [table, rows] of tables) counts.set(`${store}.${table}`, rows.length);
  return counts;
}

/**
 * Creates the Piri installation `config` describes (its data dir, or its Postgres database) with piriRows(now).
 * `alter` runs after the DDL, on the raw connection of a store, to make the shape differ from Piri's.
 */
export async function createPiriInstallation(
  config: Config,
  now = new Date(),
  alter?: { store: StoreName; sql: string },
): Promise<void> {
  const rows = piriRows(now, config.database.type);
  if (config.database.type === 'sqlite') {
    for (const store of STORES) {
      const file = sqliteStoreFile(config.dataDir, store);
      mkdirSync(dirname(file), { recursive: true });
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      for (const statement of PIRI_SCHEMA.sqlite[store.name]) db.exec(statement);
      for (const [table, tableRows] of rows[store.name]) {
        for (const row of tableRows) {
          const values = Object.values(row).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
          db.prepare(`INSERT INTO "${table}" (${Object.keys(row).join(', ')}) VALUES (${values.map(() => '?').join(', ')})`).run(...values);
        }
      }
      if (alter?.store === store.name) db.exec(alter.sql);
      db.close();
    }
    return;
  }
  const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
  try {
    for (const store of STORES) {
      await sql.begin(async (tx) => {
        await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${store.pgSchema}`);
        await tx.unsafe(`SET LOCAL search_path TO ${store.pgSchema}`);
        for (const statement of PIRI_SCHEMA.postgres[store.name]) await tx.unsafe(statement);
        for (const [table, tableRows] of rows[store.name]) {
          for (const row of tableRows) {
            const values = Object.values(row) as postgres.ParameterOrJSON<never>[];
            await tx.unsafe(`INSERT INTO "${table}" (${Object.keys(row).join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
          }
        }
        // Piri's inserts above name their ids, which SERIAL sequences do not see: put them where Piri's own inserts would have left them.
        const serials = await tx<{ tbl: string; col: string }[]>`
          SELECT table_name AS tbl, column_name AS col FROM information_schema.columns
          WHERE table_schema = ${store.pgSchema} AND column_default LIKE 'nextval%'`;
        for (const { tbl, col } of serials) {
          await tx.unsafe(`SELECT setval(pg_get_serial_sequence('"${store.pgSchema}"."${tbl}"', '${col}'), GREATEST((SELECT max("${col}") FROM "${tbl}"), 1))`);
        }
        if (alter?.store === store.name) await tx.unsafe(alter.sql);
      });
    }
  } finally {
    await sql.end();
  }
}
