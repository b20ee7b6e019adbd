/**
 * The soak's final reconciliation, after every worker has stopped: every job that was sent is found in exactly one
 * place (still queued, in the dead letters, or done as recorded durably by a handler), nothing else is in the stores,
 * and each job ended the way its fault class says it must.
 */
import { SWEEP_ERROR } from '../../src/queue/dead-letters.ts';
import { decode } from '../../src/queue/envelope.ts';
import type { Config } from '../../src/config/load.ts';
import { postgresSchemas } from '../../src/backend/postgres/schemas.ts';
import { sqliteSchemas } from '../../src/backend/sqlite/schemas.ts';
import { type Databases, openDatabases, type Store } from '../../src/stores/open.ts';
import { batchCount, batchOf, batchSeqs, checkPayload, type Fault, faultOf, producerLog, readDone, readProducerLog, SOAK_QUEUES } from './plan.ts';

export interface Reconciliation {
  readonly sent: number;
  readonly done: number;
  readonly dead: number;
  readonly queued: number;
  readonly lost: number;
  /** A job found more than once in the stores (live and dead together). */
  readonly duplicates: number;
  /** Rows whose body is not a job this run sent, or whose payload is not byte for byte what was sent. */
  readonly unknown: number;
  readonly corrupt: number;
  /** Batches whose commit was not recorded (their process was killed): committed with all jobs, or not at all. */
  readonly ambiguousBatches: { readonly committed: number; readonly notCommitted: number; readonly partial: number; readonly resent: number };
  readonly batchesSent: number;
  /** Dead letters by reason. */
  readonly deadByReason: Readonly<Record<string, number>>;
  /** How each fault class ended: class -> outcome -> count. */
  readonly outcomes: Readonly<Record<Fault, Record<string, number>>>;
  /** Outcomes other than the one a job's class leads to, grouped: "<class> -> <outcome> (<why>): <count> (e.g. job <seq>)". */
  readonly unexpected: readonly string[];
  /** Jobs a handler completed that are also dead-lettered. */
  readonly doneAndDead: number;
  /** Completion time of each job: first recorded success, or when it was dead-lettered. */
  readonly completedAt: readonly number[];
  readonly deadAt: readonly number[];
  readonly sentAt: readonly number[];
  readonly ok: boolean;
}

export interface Found {
  readonly place: 'live' | 'dead';
  readonly reason?: string;
  readonly error?: string;
  readonly movedAt?: number;
}

/**
 * Every job of the run the five queues hold, live or dead (seq -> where), and how many rows hold something else or
 * a payload that is not byte for byte what was sent.
 */
export async function scanStores(dbs: Databases, seed: number): Promise<{ found: Map<number, Found[]>; corrupt: number }> {
  const found = new Map<number, Found[]>();
  let corrupt = 0;
  const note = (body: Buffer, place: Found) => {
    let seq: number | undefined;
    try {
      seq = checkPayload(seed, decode(body).message);
    } catch {
      seq = undefined;
    }
    if (seq === undefined) corrupt++;
    else found.set(seq, [...(found.get(seq) ?? []), place]);
  };
  const names = new Set(SOAK_QUEUES.map((q) => q.name));
  for (const store of [dbs.replicator, dbs.aggregator, dbs.egressTracker]) {
    for (const row of await rows(store, 'jobqueue')) if (names.has(row.queue)) note(Buffer.from(row.body), { place: 'live' });
  }
  const namespaces = new Set((await rows(dbs.aggregator, 'jobNs')).filter((ns) => ns.queue === 'aggregator').map((ns) => ns.id));
  for (const row of await rows(dbs.aggregator, 'jobs')) if (namespaces.has(row.nsId)) note(Buffer.from(row.body), { place: 'live' });
  for (const queue of SOAK_QUEUES) {
    const store = dbs[queue.store];
    const dead = await (queue.kind === 'dedup' ? store.dedupQueue(queue.name) : store.queue(queue.name)).deadLetters();
    for (const letter of dead) note(letter.body, { place: 'dead', reason: letter.reason, error: letter.error, movedAt: letter.movedAt.getTime() });
  }
  return { found, corrupt };
}

export async function reconcile(config: Config, dir: string, jobs: number, seed: number, slots: number): Promise<Reconciliation> {
  let unknown = 0;
  const dbs = await openDatabases(config);
  let scanned;
  try {
    scanned = await scanStores(dbs, seed);
  } finally {
    await dbs.close();
  }
  const { found, corrupt } = scanned;

  const done = readDone(dir);
  // Sent: every batch recorded as committed, and each unrecorded one the stores show was committed.
  const sentSeqs: number[] = [];
  const sentAt: number[] = [];
  const ambiguous = { committed: 0, notCommitted: 0, partial: 0, resent: 0 };
  let batchesSent = 0;
  for (let slot = 0; slot < slots; slot++) {
    const state = readProducerLog(producerLog(dir, slot));
    ambiguous.resent += state.resent.size;
    for (const [k, at] of state.ended) {
      batchesSent++;
      for (const seq of batchSeqs(k, jobs)) {
        sentSeqs.push(seq);
        sentAt.push(at);
      }
    }
    // Cut by a kill before their commit was recorded: unresolved ones, and those a restarted producer found already
    // in the stores. Either way, the stores must hold all of the batch's jobs or none (one transaction).
    for (const k of [...state.ambiguous, ...state.found]) {
      const seqs = batchSeqs(k, jobs);
      const seen = seqs.filter((seq) => found.has(seq) || done.has(seq)).length;
      if (seen === 0) ambiguous.notCommitted++;
      else {
        if (seen === seqs.length) ambiguous.committed++;
        else ambiguous.partial++;
        batchesSent++;
        sentSeqs.push(...seqs);
      }
    }
  }
  const sent = new Set(sentSeqs);
  for (const seq of found.keys()) if (!sent.has(seq)) unknown++;

  let doneCount = 0;
  let deadCount = 0;
  let queued = 0;
  let lost = 0;
  let duplicates = 0;
  let doneAndDead = 0;
  const deadByReason: Record<string, number> = {};
  const outcomes = {} as Record<Fault, Record<string, number>>;
  const unexpected = new Map<string, { count: number; example: number }>();
  const completedAt: number[] = [];
  const deadAt: number[] = [];
  for (const seq of sent) {
    const places = found.get(seq) ?? [];
    if (places.length > 1) duplicates++;
    const dead = places.find((p) => p.place === 'dead');
    const outcome = places.some((p) => p.place === 'live') ? 'queued' : dead ? `dead ${dead.reason}` : done.has(seq) ? 'done' : 'LOST';
    if (outcome === 'queued') queued++;
    else if (dead) {
      deadCount++;
      deadByReason[dead.reason!] = (deadByReason[dead.reason!] ?? 0) + 1;
      completedAt.push(dead.movedAt!);
      deadAt.push(dead.movedAt!);
      if (done.has(seq)) doneAndDead++;
    } else if (outcome === 'done') {
      doneCount++;
      completedAt.push(done.get(seq)!);
    } else lost++;
    const fault = faultOf(seed, seq);
    const byOutcome = (outcomes[fault] ??= {});
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    const expected = fault === 'permanent' ? 'dead permanent_error' : fault === 'doomed' ? 'dead max_retries' : 'done';
    if (outcome !== expected && outcome !== 'queued') {
      const why = dead?.error === SWEEP_ERROR ? 'swept: its last delivery ended with its process' : dead?.error ?? 'no record';
      const key = `${fault} -> ${outcome} (${why})`;
      const group = unexpected.get(key) ?? { count: 0, example: seq };
      group.count++;
      unexpected.set(key, group);
    }
  }
  const ok =
    lost === 0 &&
    duplicates === 0 &&
    unknown === 0 &&
    corrupt === 0 &&
    ambiguous.partial === 0 &&
    sent.size === doneCount + deadCount + queued;
  return {
    sent: sent.size,
    done: doneCount,
    dead: deadCount,
    queued,
    lost,
    duplicates,
    unknown,
    corrupt,
    ambiguousBatches: ambiguous,
    batchesSent,
    deadByReason,
    outcomes,
    unexpected: [...unexpected].map(([key, { count, example }]) => `${key}: ${count} (e.g. job ${example}, batch ${batchOf(example)} of ${batchCount(jobs)})`),
    doneAndDead,
    completedAt,
    deadAt,
    sentAt,
    ok,
  };
}

type Table = 'jobqueue' | 'jobNs' | 'jobs';

/** Every row of a queue table, read through drizzle's typed columns. */
async function rows(store: Store, table: Table): Promise<Record<string, any>[]> {
  const schemas = store.connection.dialect === 'sqlite' ? sqliteSchemas : postgresSchemas;
  const tables = schemas[store.name] as Record<string, unknown>;
  // The union of the two drizzle types cannot pick an overload; application code casts the same way.
  return (store.db as any).select().from(tables[table]);
}
