/**
 * The dedup queue under arbitrary bodies and arguments, on both backends, against a model of Piri's dedup rules
 * (data-model §4.5): a job's key is (queue, job name, SHA-256 of the payload); a key already queued is skipped; with dedupe
 * on, a key that succeeded is never queued again, and with blocking on, neither is one that was dead-lettered (until
 * requeued). Every call either does exactly what the model says or is refused: a body that is not an envelope with
 * Piri's EnvelopeError text (the same as decode() gives), a bad argument with a QueueError naming it. After each run
 * the queue's rows (jobs, job_done, job_dead) are exactly the model's, and SQLite's integrity_check passes.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { SqliteStoreConnection } from '../../src/backend/types.ts';
import { PiriDbError, QueueError } from '../../src/errors.ts';
import { decode, encode, EnvelopeError } from '../../src/queue/envelope.ts';
import { SWEEP_ERROR } from '../../src/queue/dead-letters.ts';
import type { DedupQueueSettings, DeadLetterFilter, QueueStore } from '../../src/queue/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { tableRows, useInstallation } from '../support/queues.ts';
import { anyNumberish, bodyBytes, fcParameters, hostileString, sha256, unstorable } from './support.ts';

const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const EARLIEST = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_INT4 = 2 ** 31 - 1;

interface Job {
  id: string;
  key: string;
  jobName: string;
  body: Buffer;
  createdS: number;
  availS: number;
  attempts: number;
}
interface DeadJob {
  id: string;
  key: string;
  jobName: string;
  body: Buffer;
  attempts: number;
  reason: string;
  error: string;
  movedS: number;
}

class Model {
  readonly live = new Map<string, Job>();
  readonly dead = new Map<string, DeadJob>();
  /** job_done: key -> 1 (succeeded) or 2 (dead-lettered, blocked). */
  readonly done = new Map<string, 1 | 2>();
  readonly ids: string[] = [];
  constructor(
    readonly name: string,
    readonly settings: DedupQueueSettings,
  ) {}

  get blockRepeats(): boolean {
    return this.settings.dedupe.enabled && this.settings.dedupe.blockRepeatsAfterDeadLetter;
  }

  liveKey(key: string): boolean {
    return [...this.live.values()].some((job) => job.key === key);
  }

  /** Whether a send of this key is queued. */
  accepts(key: string): boolean {
    return !this.liveKey(key) && !(this.settings.dedupe.enabled && this.done.has(key));
  }

  moveToDead(job: Job, reason: string, error: string, nowS: number): void {
    this.live.delete(job.id);
    this.dead.set(job.id, { id: job.id, key: job.key, jobName: job.jobName, body: job.body, attempts: job.attempts, reason, error, movedS: nowS });
    if (this.blockRepeats && !this.done.has(job.key)) this.done.set(job.key, 2);
  }

  selectDead(filter: Record<string, unknown> | undefined): DeadJob[] {
    const { ids, jobName, movedBefore, limit } = (filter ?? {}) as { ids?: string[]; jobName?: string; movedBefore?: Date; limit?: number };
    const bound = movedBefore === undefined || movedBefore.getTime() > LATEST ? undefined : Math.ceil(Math.max(movedBefore.getTime(), EARLIEST) / 1000);
    const selected = [...this.dead.values()]
      .filter((d) => ids === undefined || ids.map(Number).includes(Number(d.id)))
      .filter((d) => jobName === undefined || d.jobName === storable(jobName))
      .filter((d) => bound === undefined || d.movedS < bound)
      .sort((a, b) => a.movedS - b.movedS || Number(a.id) - Number(b.id));
    return limit === undefined ? selected : selected.slice(0, limit);
  }
}

function storable(text: string): string {
  return text.replace(/[\u0000\ud800-\udfff]/gu, '\ufffd');
}

const seconds = (ms: number) => Math.floor(ms / 1000);
/** The second from which a message is receivable after a delay of `ms`: now for 0, otherwise rounded up. */
const availableAt = (now: number, ms: number) => (ms === 0 ? seconds(now) : Math.ceil((now + Math.ceil(ms)) / 1000));
const isDuration = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
const isLimit = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
const isJobId = (id: unknown): id is string => typeof id === 'string' && /^[0-9]+$/.test(id) && Number.isSafeInteger(Number(id));
const fitsDeadline = (now: number, ms: number) => now + Math.ceil(ms) <= LATEST;

function filterProblem(filter: Record<string, unknown> | undefined): string | undefined {
  if (filter === undefined) return undefined;
  const { ids, jobName, movedBefore, limit } = filter;
  if (jobName !== undefined && typeof jobName !== 'string') return 'filter.jobName';
  if (movedBefore !== undefined && !(movedBefore instanceof Date && Number.isFinite(movedBefore.getTime()))) return 'filter.movedBefore';
  if (ids !== undefined) {
    if (!Array.isArray(ids)) return 'filter.ids';
    const bad = ids.findIndex((id) => !isJobId(id));
    if (bad >= 0) return `filter.ids[${bad}]`;
  }
  if (limit !== undefined && !isLimit(limit)) return 'filter.limit';
  return undefined;
}

/** What the queue should make of a body: an envelope error, a refused job name, or the job's key. */
function read(body: Uint8Array): { error: EnvelopeError } | { unstorableName: true } | { key: string; jobName: string } {
  let envelope;
  try {
    envelope = decode(body);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvelopeError);
    return { error: error as EnvelopeError };
  }
  if (unstorable(envelope.name)) return { unstorableName: true };
  return { key: JSON.stringify([envelope.name, sha256(envelope.message)]), jobName: envelope.name };
}

// --- generated bodies and operations ---------------------------------------------------------------------------

/** A small pool of job names and payloads per run, so that keys repeat. */
interface Pools {
  names: string[];
  payloads: Uint8Array[];
}
const pools = fc.record({
  names: fc.array(fc.oneof({ arbitrary: hostileString({ minLength: 1, maxLength: 6 }), weight: 3 }, { arbitrary: fc.constant('aggregate_piece'), weight: 1 }), { minLength: 1, maxLength: 3 }),
  payloads: fc.array(bodyBytes, { minLength: 1, maxLength: 3 }),
});

/** Recipes for a body, turned into bytes once the run's pools are known. */
const bodyRecipe = fc.oneof(
  // Piri's envelope, as encode() (Go's encoder) writes it, with or without a trace.
  { arbitrary: fc.record({ kind: fc.constant('envelope' as const), name: fc.nat(), payload: fc.nat(), trace: fc.boolean() }), weight: 8 },
  // The same job written differently: key case, extra keys, spacing. Same key: only the payload is hashed.
  { arbitrary: fc.record({ kind: fc.constant('variant' as const), name: fc.nat(), payload: fc.nat(), upper: fc.boolean() }), weight: 3 },
  // Not an envelope: arbitrary bytes, arbitrary JSON, or an envelope with a field of the wrong type or missing.
  { arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ kind: 'bytes' as const, bytes })), weight: 1 },
  { arbitrary: fc.json().map((json) => ({ kind: 'bytes' as const, bytes: Buffer.from(json) })), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(
        '{"name":5,"message":""}',
        '{"message":"AAAA"}',
        '{"name":"","message":"AAAA"}',
        '{"name":"x","message":"not base64!"}',
        '{"name":"x","message":"AAA"}',
        '{"name":"x","message":7}',
        '{"name":"x","trace":{"trace_flags":256}}',
        '{"name":"x","trace":[]}',
        'null',
        '[]',
        '"x"',
        '{"name":"\\u0000"}',
        '{"name":"a\\ud800"}',
        '{"name":"a\\udfff","message":"QQ=="}',
      )
      .map((text) => ({ kind: 'bytes' as const, bytes: Buffer.from(text) })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom<unknown>('text', null, 42).map((value) => ({ kind: 'notBytes' as const, value })), weight: 1 },
);
type BodyRecipe = typeof bodyRecipe extends fc.Arbitrary<infer T> ? T : never;

function makeBody(recipe: BodyRecipe, { names, payloads }: Pools): unknown {
  switch (recipe.kind) {
    case 'envelope': {
      const name = names[recipe.name % names.length]!;
      const payload = payloads[recipe.payload % payloads.length]!;
      return encode(name, payload, recipe.trace ? { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 } : undefined);
    }
    case 'variant': {
      const name = names[recipe.name % names.length]!;
      const payload = Buffer.from(payloads[recipe.payload % payloads.length]!);
      const json = recipe.upper
        ? `{ "NAME" : ${JSON.stringify(name)}, "Message": "${payload.toString('base64')}", "extra": [1, {"a": null}] }`
        : `{"message":"${payload.toString('base64')}","trace":null,"name":${JSON.stringify(name)}}`;
      return Buffer.from(json);
    }
    case 'bytes':
      return recipe.bytes;
    case 'notBytes':
      return recipe.value;
  }
}

type Pick = { known: number } | { raw: unknown };
const pick: fc.Arbitrary<Pick> = fc.oneof(
  { arbitrary: fc.nat().map((known) => ({ known })), weight: 5 },
  { arbitrary: fc.oneof(hostileString(), anyNumberish, fc.constantFrom('0', '99999999999', '9007199254740993', '-1', '1.5', ' 1')).map((raw) => ({ raw })), weight: 1 },
);
const delay = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 5 },
  { arbitrary: fc.integer({ min: 0, max: 4_000 }), weight: 2 },
  { arbitrary: anyNumberish, weight: 1 },
);
const filter = fc.option(
  fc.record(
    {
      ids: fc.oneof({ arbitrary: fc.array(pick, { maxLength: 3 }), weight: 4 }, { arbitrary: anyNumberish, weight: 1 }),
      jobName: fc.oneof(hostileString(), fc.constant('aggregate_piece'), anyNumberish),
      movedBefore: fc.oneof(fc.date({ noInvalidDate: false }), fc.constantFrom(new Date(8.64e15), new Date(-8.64e15), new Date(Date.UTC(2030, 0))), anyNumberish),
      limit: fc.oneof(fc.integer({ min: 1, max: 3 }), anyNumberish),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const operation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('send' as const), body: bodyRecipe, delayMs: delay }), weight: 8 },
  { arbitrary: fc.record({ op: fc.constant('sendMany' as const), bodies: fc.array(bodyRecipe, { maxLength: 5 }), delayMs: delay }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('receiveMany' as const), limit: fc.oneof(fc.integer({ min: 1, max: 4 }), anyNumberish) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 6_000 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('extend' as const), target: pick, ms: fc.oneof(fc.integer({ min: 0, max: 4_000 }), anyNumberish) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), target: pick }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('deleteMany' as const), targets: fc.oneof(fc.array(pick, { maxLength: 3 }), anyNumberish) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('deadLetter' as const),
      target: pick,
      input: fc.oneof(
        { arbitrary: fc.record({ jobName: hostileString(), reason: fc.constantFrom('permanent_error', 'max_retries'), error: hostileString({ maxLength: 30 }) }), weight: 5 },
        { arbitrary: fc.record({ jobName: fc.oneof(hostileString(), anyNumberish), reason: fc.oneof(hostileString(), fc.constant('max_retries')), error: fc.oneof(hostileString(), anyNumberish) }), weight: 1 },
      ),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constantFrom('deadLetters' as const, 'requeueDead' as const, 'purgeDead' as const), filter }), weight: 3 },
  { arbitrary: fc.constant({ op: 'sweepExhausted' as const }), weight: 2 },
  { arbitrary: fc.constant({ op: 'stats' as const }), weight: 1 },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/** The call's value, or its error when it is one of the queue's own (PiriDbError, EnvelopeError); anything else fails. */
async function outcome<T>(call: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof PiriDbError || error instanceof EnvelopeError) return { ok: false, error };
    throw error;
  }
}

function expectRefused(result: Outcome<unknown>, argument: string): void {
  expect(result.ok, `expected a refusal naming ${argument}`).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(QueueError);
  expect((result.error as QueueError).code).toBe('INVALID_ARGUMENT');
  expect(result.error.message).toContain(argument);
}

/** Piri's texts (data-model §4.1), exactly what decode() says about the same bytes. */
function expectEnvelopeError(result: Outcome<unknown>, expected: EnvelopeError): void {
  expect(result.ok, `expected ${expected.message}`).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(EnvelopeError);
  expect(result.error.message).toBe(expected.message);
  expect(result.error.message).toMatch(/^(decode message envelope: .+|message envelope missing name)$/s);
}

function value<T>(result: Outcome<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.name}: ${result.error.message}`);
  return result.value;
}

let runs = 0;

forEachBackend('dedup queue under arbitrary input', (backend) => {
  const env = useInstallation(backend);

  it('opens with any boolean dedupe overrides and refuses any other, naming the override', async () => {
    const dedupe = fc.record({ enabled: fc.oneof(fc.boolean(), fc.constant(undefined), anyNumberish), blockRepeatsAfterDeadLetter: fc.oneof(fc.boolean(), fc.constant(undefined), anyNumberish) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(dedupe, fc.oneof(fc.constant(undefined), anyNumberish), async (given, maxDeliveries) => {
        const opened = await outcome(() => env.dbs.aggregator.dedupQueue(`open-${++runs}`, { dedupe: given as never, maxDeliveries: maxDeliveries as number }));
        const { enabled, blockRepeatsAfterDeadLetter } = given as Record<string, unknown>;
        if (enabled !== undefined && typeof enabled !== 'boolean') return expectRefused(opened, 'overrides.dedupe.enabled');
        if (blockRepeatsAfterDeadLetter !== undefined && typeof blockRepeatsAfterDeadLetter !== 'boolean') return expectRefused(opened, 'overrides.dedupe.blockRepeatsAfterDeadLetter');
        if (maxDeliveries !== undefined && !(Number.isInteger(maxDeliveries) && (maxDeliveries as number) >= 1 && (maxDeliveries as number) <= MAX_INT4)) {
          return expectRefused(opened, 'overrides.maxDeliveries');
        }
        expect(value(opened).settings.dedupe).toEqual({ enabled: enabled ?? true, blockRepeatsAfterDeadLetter: blockRepeatsAfterDeadLetter ?? true });
      }),
      fcParameters(60),
    );
  });

  it('does what the dedup model says for any bodies and calls, and loses nothing', async () => {
    const queueName = hostileString({ minLength: 1, maxLength: 8 }).filter((n) => !unstorable(n));
    const settings = fc.record({
      visibilityTimeoutMs: fc.integer({ min: 1, max: 5_000 }),
      maxDeliveries: fc.integer({ min: 1, max: 3 }),
      dedupe: fc.record({ enabled: fc.boolean(), blockRepeatsAfterDeadLetter: fc.boolean() }),
    });
    await fc.assert(
      fc.asyncProperty(queueName, settings, pools, fc.array(operation, { minLength: 1, maxLength: 30 }), async (raw, overrides, pool, operations) => {
        const name = `${raw}·${++runs}`;
        const queue = env.dbs.aggregator.dedupQueue(name, overrides);
        const model = new Model(name, queue.settings);
        for (const operation of operations) await apply(queue, model, pool, operation, () => env.clock.now(), (ms) => env.clock.advance(ms));
        await expectRows(model);
      }),
      fcParameters(40),
    );
    if (backend === 'sqlite') {
      expect((env.dbs.aggregator.connection as SqliteStoreConnection).client.pragma('integrity_check', { simple: true })).toBe('ok');
    }
  });

  /** The queue's rows in jobs, job_done and job_dead are exactly the model's. */
  async function expectRows(model: Model): Promise<void> {
    const store = env.dbs.aggregator;
    const namespaces = (await tableRows(store, 'jobNs')).filter((ns) => ns.queue === model.name);
    const nameOf = new Map(namespaces.map((ns) => [ns.id as number, ns.name as string]));
    const keyOf = (row: Record<string, any>) => JSON.stringify([nameOf.get(row.nsId), Buffer.from(row.key).toString('hex')]);
    const mine = (rows: Record<string, any>[]) => rows.filter((row) => nameOf.has(row.nsId));
    const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);

    const jobs = mine(await tableRows(store, 'jobs')).map((r) => ({ id: String(r.id), key: keyOf(r), body: Buffer.from(r.body).toString('hex'), attempts: r.attempts }));
    expect(jobs.sort(byId)).toEqual([...model.live.values()].map((j) => ({ id: j.id, key: j.key, body: j.body.toString('hex'), attempts: j.attempts })).sort(byId));
    const dead = mine(await tableRows(store, 'jobDead')).map((r) => ({ id: String(r.id), key: keyOf(r), body: Buffer.from(r.body).toString('hex') }));
    expect(dead.sort(byId)).toEqual([...model.dead.values()].map((d) => ({ id: d.id, key: d.key, body: d.body.toString('hex') })).sort(byId));
    const done = mine(await tableRows(store, 'jobDone')).map((r) => [keyOf(r), r.status]);
    expect(done.sort()).toEqual([...model.done.entries()].sort());
  }
});

async function apply(
  queue: QueueStore<DedupQueueSettings>,
  model: Model,
  pool: Pools,
  operation: Operation,
  now: () => number,
  advance: (ms: number) => void,
): Promise<void> {
  const target = (p: Pick): unknown => ('known' in p ? (model.ids.length === 0 ? '1' : model.ids[p.known % model.ids.length]) : p.raw);
  const t = now();
  const nowS = seconds(t);
  switch (operation.op) {
    case 'advance':
      return advance(operation.ms);

    case 'send':
    case 'sendMany': {
      const many = operation.op === 'sendMany';
      const bodies = many ? operation.bodies.map((r) => makeBody(r, pool)) : [makeBody(operation.body, pool)];
      const options = operation.delayMs === undefined ? undefined : { delayMs: operation.delayMs as number };
      const result = await outcome<unknown>(() => (many ? queue.sendMany(bodies as Uint8Array[], options) : queue.send(bodies[0] as Uint8Array, options)));
      const argument = (i: number) => (many ? `bodies[${i}]` : 'body');
      const notBytes = bodies.findIndex((b) => !(b instanceof Uint8Array));
      if (notBytes >= 0) return expectRefused(result, argument(notBytes));
      const delayMs = operation.delayMs === undefined ? 0 : operation.delayMs;
      if (!isDuration(delayMs) || !fitsDeadline(t, delayMs)) return expectRefused(result, 'options.delayMs');
      const reads = bodies.map((b) => read(b as Uint8Array));
      const bad = reads.findIndex((r) => !('key' in r));
      if (bad >= 0) {
        const problem = reads[bad]!;
        return 'error' in problem ? expectEnvelopeError(result, problem.error) : expectRefused(result, `${argument(bad)}: the envelope's job name`);
      }
      const ids = (many ? value(result) : [value(result)]) as (string | undefined)[];
      expect(ids).toHaveLength(bodies.length);
      reads.forEach((r, i) => {
        const { key, jobName } = r as { key: string; jobName: string };
        if (!model.accepts(key)) return expect(ids[i], `a repeat of ${key} is skipped`).toBeUndefined();
        const id = ids[i]!;
        expect(id, `a new key ${key} is queued`).toMatch(/^[0-9]+$/);
        model.ids.push(id);
        model.live.set(id, { id, key, jobName, body: Buffer.from(bodies[i] as Uint8Array), createdS: nowS, availS: availableAt(t, delayMs), attempts: 0 });
      });
      return;
    }

    case 'receiveMany': {
      const result = await outcome(() => queue.receiveMany(operation.limit as number));
      if (!isLimit(operation.limit)) return expectRefused(result, 'limit');
      const expected = [...model.live.values()]
        .filter((j) => j.availS <= nowS && j.attempts < model.settings.maxDeliveries)
        .sort((a, b) => a.createdS - b.createdS || Number(a.id) - Number(b.id))
        .slice(0, operation.limit);
      const received = value(result);
      expect(received.map((m) => m.id)).toEqual(expected.map((j) => j.id));
      received.forEach((message, i) => {
        const job = expected[i]!;
        job.attempts += 1;
        job.availS = availableAt(t, model.settings.visibilityTimeoutMs);
        expect(message.received).toBe(job.attempts);
        expect(Buffer.compare(message.body, job.body), `body of ${message.id}`).toBe(0);
      });
      return;
    }

    case 'extend': {
      const id = target(operation.target);
      const result = await outcome(() => queue.extend(id as string, operation.ms as number));
      if (!isJobId(id)) return expectRefused(result, 'id');
      if (!isDuration(operation.ms) || !fitsDeadline(t, operation.ms)) return expectRefused(result, 'ms');
      const job = model.live.get(String(Number(id)));
      expect(value(result)).toBe(job !== undefined);
      if (job) job.availS = availableAt(t, operation.ms);
      return;
    }

    case 'delete':
    case 'deleteMany': {
      const ids: unknown = operation.op === 'delete' ? [target(operation.target)] : Array.isArray(operation.targets) ? operation.targets.map(target) : operation.targets;
      const result = await outcome(() => (operation.op === 'delete' ? queue.delete((ids as unknown[])[0] as string) : queue.deleteMany(ids as string[])));
      if (!Array.isArray(ids)) return expectRefused(result, 'ids');
      const bad = ids.findIndex((id) => !isJobId(id));
      if (bad >= 0) return expectRefused(result, operation.op === 'delete' ? 'id' : `ids[${bad}]`);
      value(result);
      for (const id of ids as string[]) {
        const job = model.live.get(String(Number(id)));
        if (job === undefined) continue;
        model.live.delete(job.id);
        if (model.settings.dedupe.enabled && !model.done.has(job.key)) model.done.set(job.key, 1);
      }
      return;
    }

    case 'deadLetter': {
      const id = target(operation.target);
      const result = await outcome(() => queue.deadLetter(id as string, operation.input as never));
      if (!isJobId(id)) return expectRefused(result, 'id');
      const { jobName, reason, error } = operation.input as Record<string, unknown>;
      if (typeof jobName !== 'string') return expectRefused(result, 'input.jobName');
      if (reason !== 'permanent_error' && reason !== 'max_retries') return expectRefused(result, 'input.reason');
      if (typeof error !== 'string') return expectRefused(result, 'input.error');
      value(result); // a missing id is a no-op, as in Piri
      const job = model.live.get(String(Number(id)));
      if (job) model.moveToDead(job, reason, storable(error), nowS);
      return;
    }

    case 'sweepExhausted': {
      const swept = value(await outcome(() => queue.sweepExhausted()));
      const exhausted = [...model.live.values()].filter((j) => j.attempts >= model.settings.maxDeliveries && j.availS <= nowS);
      expect(swept).toBe(exhausted.length);
      for (const job of exhausted.sort((a, b) => Number(a.id) - Number(b.id))) model.moveToDead(job, 'max_retries', SWEEP_ERROR, nowS);
      return;
    }

    case 'deadLetters':
    case 'requeueDead':
    case 'purgeDead': {
      const given = operation.filter as Record<string, unknown> | undefined;
      const resolved = given && Array.isArray(given.ids) ? { ...given, ids: (given.ids as Pick[]).map(target) } : given;
      const result = await outcome<unknown>(() => queue[operation.op](resolved as DeadLetterFilter));
      const problem = filterProblem(resolved);
      if (problem !== undefined) return expectRefused(result, problem);
      const selected = model.selectDead(resolved);
      if (operation.op === 'deadLetters') {
        const listed = value(result) as Awaited<ReturnType<QueueStore['deadLetters']>>;
        expect(listed.map((d) => ({ ...d, body: d.body.toString('hex') }))).toEqual(
          selected.map((d) => ({
            id: d.id,
            queue: model.name,
            jobName: d.jobName,
            body: d.body.toString('hex'),
            received: d.attempts,
            reason: d.reason,
            error: d.error,
            movedAt: new Date(d.movedS * 1000),
          })),
        );
        return;
      }
      expect(value(result)).toBe(selected.length);
      for (const d of selected) model.dead.delete(d.id);
      if (operation.op === 'requeueDead') {
        // In id order; a key live again (or done, with dedupe) only drops its dead letter; a blocked key is unblocked.
        for (const d of [...selected].sort((a, b) => Number(a.id) - Number(b.id))) {
          const succeeded = model.settings.dedupe.enabled && model.done.get(d.key) === 1;
          if (!model.liveKey(d.key) && !succeeded) {
            model.live.set(d.id, { id: d.id, key: d.key, jobName: d.jobName, body: d.body, createdS: nowS, availS: nowS, attempts: 0 });
          }
        }
        for (const d of selected) if (model.done.get(d.key) === 2) model.done.delete(d.key);
      }
      return;
    }

    case 'stats': {
      const live = [...model.live.values()];
      const count = (p: (j: Job) => boolean) => live.filter(p).length;
      const max = model.settings.maxDeliveries;
      expect(value(await outcome(() => queue.stats()))).toEqual({
        queue: model.name,
        ready: count((j) => j.availS <= nowS && j.attempts < max),
        inFlight: count((j) => j.availS > nowS && j.attempts > 0),
        delayed: count((j) => j.availS > nowS && j.attempts === 0),
        exhausted: count((j) => j.availS <= nowS && j.attempts >= max),
        dead: model.dead.size,
        oldestAgeMs: live.length === 0 ? 0 : Math.max(0, t - Math.min(...live.map((j) => j.createdS)) * 1000),
      });
      return;
    }
  }
}
