/**
 * What the plain queue's claim order costs on Postgres, table by table:
 * `pnpm exec tsx bench/queue/claim-order-variants.ts`. Each variant is a jobqueue table (Piri's columns and trigger,
 * bench/peers/piri-queue-params.ts) with one claim index and one claim order, in its own database, driven by the same
 * raw postgres-js code: batch-send N jobs (untimed), ANALYZE and CHECKPOINT, then time a drain of single claims and
 * deletes by W consumers. Variants take turns, the order reversed every round, and each is reported against the
 * first (Piri's table) as the ratio of total rates and the median ratio of a round. BENCH_N jobs per round (default
 * 2500), BENCH_ROUNDS (default 12), BENCH_WORKERS (default 8), BENCH_VARIANTS a comma-separated list of indexes into
 * VARIANTS (default all). Findings: docs/benchmarks.md.
 */
import postgres from 'postgres';
import { newMessageId } from '../../src/queue/message-id.ts';
import { piriPostgresTable } from '../peers/piri-queue-params.ts';
import { settlePostgres, startBenchPostgres } from '../support/postgres.ts';

interface Variant {
  readonly name: string;
  readonly index: string;
  readonly order: string;
  /** Ids from the column default (random), or made as piri-db makes them (send order within a process). */
  readonly ids: 'default' | 'piri-db';
  /** Send times 1 µs apart within a batch, so that no two messages share one. */
  readonly uniqueCreated?: boolean;
  readonly fillfactor?: number;
}

const VARIANTS: readonly Variant[] = [
  { name: "Piri's table and order", index: 'queue, created', order: 'created', ids: 'default' },
  { name: "piri-db's table and order", index: 'queue, created, id', order: 'created, id', ids: 'piri-db' },
  { name: "piri-db's, fillfactor 80", index: 'queue, created, id', order: 'created, id', ids: 'piri-db', fillfactor: 80 },
  { name: "Piri's index, order created, id", index: 'queue, created', order: 'created, id', ids: 'piri-db' },
  { name: "Piri's index and order, unique send times", index: 'queue, created', order: 'created', ids: 'piri-db', uniqueCreated: true },
  { name: "Piri's index and order, piri-db's ids", index: 'queue, created', order: 'created', ids: 'piri-db' },
];

const QUEUE = 'replication';
const BATCH = 100;
const jobs = setting('BENCH_N', 2_500);
const rounds = setting('BENCH_ROUNDS', 12);
const workers = setting('BENCH_WORKERS', 8);
const picked = process.env.BENCH_VARIANTS?.split(',').map(Number) ?? VARIANTS.map((_, i) => i);
const variants = picked.map((i) => VARIANTS[i] ?? fail(`no variant ${i}`));

const pg = await startBenchPostgres();
try {
  const tables = await Promise.all(variants.map(async (variant, i) => table(variant, await pg.createDatabase(`claim_order_${i}`))));
  const rates = variants.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    const order = tables.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const t = tables[i]!;
      await t.send(jobs);
      await settlePostgres(t.url);
      const started = performance.now();
      const drained = await t.drain();
      const seconds = (performance.now() - started) / 1000;
      if (drained !== jobs) fail(`${t.variant.name}: drained ${drained} of ${jobs}`);
      rates[i]!.push(jobs / seconds);
    }
  }
  const sizes = await Promise.all(tables.map((t) => t.indexSizes()));
  console.log(`| variant | index | order | jobs/s | against the first | median round | index sizes after (claim, primary key) |`);
  console.log('|---|---|---|--:|--:|--:|---|');
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  variants.forEach((variant, i) => {
    const perRound = rates[i]!.map((rate, round) => rate / rates[0]![round]!).sort((a, b) => a - b);
    console.log(
      `| ${variant.name} | (${variant.index}) | ${variant.order} | ${Math.round(sum(rates[i]!) / rounds)} | ` +
        `${(sum(rates[i]!) / sum(rates[0]!)).toFixed(2)}x | ${perRound[Math.floor(perRound.length / 2)]!.toFixed(2)}x | ${sizes[i]} |`,
    );
  });
  await Promise.all(tables.map((t) => t.sql.end()));
} finally {
  await pg.stop();
}

async function table(variant: Variant, url: string) {
  const sql = postgres(url, { max: 10, onnotice: () => {} });
  for (const statement of piriPostgresTable({ index: variant.index, fillfactor: variant.fillfactor })) await sql.unsafe(statement);
  const claim = `UPDATE jobqueue SET timeout = $4, received = received + 1
     WHERE id = (SELECT id FROM jobqueue WHERE queue = $1 AND timeout <= $2 AND received < $3
                 ORDER BY ${variant.order} LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id`;
  const created = variant.uniqueCreated ? `$2::timestamptz + (m.ord - 1) * INTERVAL '1 microsecond'` : '$2::timestamptz';
  const body = Buffer.from(`{"seq":0,"pad":"${'x'.repeat(80)}"}`);
  return {
    variant,
    url,
    sql,
    async send(n: number): Promise<void> {
      for (let sent = 0; sent < n; sent += BATCH) {
        const nowMs = Date.now();
        const now = new Date(nowMs).toISOString();
        const bodies = sql.array(Array.from({ length: Math.min(BATCH, n - sent) }, () => body), 17);
        if (variant.ids === 'default') {
          await sql.unsafe(`INSERT INTO jobqueue (queue, body, timeout) SELECT $1, b, $2::timestamptz FROM unnest($3::bytea[]) b`, [QUEUE, now, bodies]);
        } else {
          const ids = sql.array(Array.from({ length: Math.min(BATCH, n - sent) }, () => newMessageId(nowMs)), 25);
          await sql.unsafe(
            `INSERT INTO jobqueue (id, created, updated, queue, body, timeout)
             SELECT m.id, ${created}, $2::timestamptz, $1, m.body, $2::timestamptz
             FROM unnest($3::text[], $4::bytea[]) WITH ORDINALITY AS m(id, body, ord)`,
            [QUEUE, now, ids, bodies],
          );
        }
      }
    },
    async drain(): Promise<number> {
      let drained = 0;
      const consume = async () => {
        for (;;) {
          const now = Date.now();
          const [job] = await sql.unsafe<{ id: string }[]>(claim, [QUEUE, new Date(now).toISOString(), 10, new Date(now + 5_000).toISOString()], {
            prepare: true,
          });
          if (job === undefined) return;
          drained++;
          await sql.unsafe('DELETE FROM jobqueue WHERE queue = $1 AND id = $2', [QUEUE, job.id], { prepare: true });
        }
      };
      await Promise.all(Array.from({ length: workers }, consume));
      return drained;
    },
    async indexSizes(): Promise<string> {
      const rows = await sql<{ claim: string; pkey: string }[]>`
        SELECT pg_size_pretty(pg_relation_size('jobqueue_queue_created_idx')) AS claim,
               pg_size_pretty(pg_relation_size('jobqueue_pkey')) AS pkey`;
      return `${rows[0]!.claim}, ${rows[0]!.pkey}`;
    },
  };
}

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) fail(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

function fail(message: string): never {
  throw new Error(message);
}
