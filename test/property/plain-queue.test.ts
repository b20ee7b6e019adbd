/**
 * The plain queue under arbitrary input, on both backends, against a model. Every call either does exactly what the
 * model says (bodies byte for byte, ids, delivery counts, visibility, dead letters, stats) or is refused with a
 * QueueError whose message names the argument; a driver error or any other exception fails the property. After each
 * run the rows of the queue are exactly the model's (nothing sent and not deleted went missing, nothing appeared),
 * and SQLite's integrity_check passes.
 *
 * Names and ids: U+0000 and unpaired surrogates are refused on both backends (PostgreSQL cannot store the first, and
 * neither backend can store the second unchanged). A dead letter's job name and error are free text: such
 * characters become U+FFFD there instead of making the message impossible to dead-letter.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { SqliteStoreConnection } from '../../src/backend/types.ts';
import { QueueError } from '../../src/errors.ts';
import { decode, encode } from '../../src/queue/envelope.ts';
import { SWEEP_ERROR } from '../../src/queue/dead-letters.ts';
import type { DeadLetterFilter, QueueStore } from '../../src/queue/types.ts';
import type { Store } from '../../src/stores/open.ts';
import { forEachBackend } from '../support/installations.ts';
import { tableRows, useInstallation } from '../support/queues.ts';
import { anyNumberish, bodyBytes, fcParameters, hostileString, outcome, unstorable } from './support.ts';

const LATEST = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MAX_INT4 = 2 ** 31 - 1;
/** The longest visibility window a queue accepts: 100 years (docs/queues.md). */
const MAX_VISIBILITY_TIMEOUT_MS = 36_525 * 86_400_000;

// --- the model -------------------------------------------------------------------------------------------------

interface LiveMessage {
  id: string;
  body: Buffer;
  createdMs: number;
  visibleAt: number;
  received: number;
}
interface DeadMessage {
  id: string;
  body: Buffer;
  createdMs: number;
  received: number;
  jobName: string;
  reason: string;
  error: string;
  movedAt: number;
}

class Model {
  readonly live = new Map<string, LiveMessage>();
  readonly dead = new Map<string, DeadMessage>();
  /** Every id a send returned, for picking targets. */
  readonly ids: string[] = [];
  constructor(
    readonly name: string,
    readonly visibilityMs: number,
    readonly maxDeliveries: number,
  ) {}

  claimable(now: number): LiveMessage[] {
    return [...this.live.values()]
      .filter((m) => m.visibleAt <= now && m.received < this.maxDeliveries)
      .sort((a, b) => a.createdMs - b.createdMs || compare(a.id, b.id));
  }

  moveToDead(message: LiveMessage, fields: { jobName: string; reason: string; error: string }, now: number): void {
    this.live.delete(message.id);
    this.dead.set(message.id, { id: message.id, body: message.body, createdMs: message.createdMs, received: message.received, ...fields, movedAt: now });
  }

  selectDead(filter: CheckedFilter): DeadMessage[] {
    const selected = [...this.dead.values()]
      .filter((d) => filter.ids === undefined || filter.ids.includes(d.id))
      .filter((d) => filter.jobName === undefined || d.jobName === storable(filter.jobName))
      .filter((d) => filter.movedBefore === undefined || filter.movedBefore > LATEST || d.movedAt < filter.movedBefore)
      .sort((a, b) => a.movedAt - b.movedAt || compare(a.id, b.id));
    return filter.limit === undefined ? selected : selected.slice(0, filter.limit);
  }

  stats(now: number) {
    const live = [...this.live.values()];
    const count = (p: (m: LiveMessage) => boolean) => live.filter(p).length;
    return {
      queue: this.name,
      ready: count((m) => m.visibleAt <= now && m.received < this.maxDeliveries),
      inFlight: count((m) => m.visibleAt > now && m.received > 0),
      delayed: count((m) => m.visibleAt > now && m.received === 0),
      exhausted: count((m) => m.visibleAt <= now && m.received >= this.maxDeliveries),
      dead: this.dead.size,
      oldestAgeMs: live.length === 0 ? 0 : Math.max(0, now - Math.min(...live.map((m) => m.createdMs))),
    };
  }
}

interface CheckedFilter {
  ids?: string[];
  jobName?: string;
  movedBefore?: number;
  limit?: number;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** How free text is stored: U+0000 and unpaired surrogates as U+FFFD. */
function storable(text: string): string {
  return text.replace(/[\u0000\ud800-\udfff]/gu, '\ufffd');
}

// --- argument rules, as documented (written here independently of src/queue/arguments.ts) ---------------------

const isDuration = (ms: unknown): ms is number => typeof ms === 'number' && Number.isFinite(ms) && ms >= 0;
const isLimit = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
const isId = (id: unknown): id is string => typeof id === 'string' && id !== '' && !unstorable(id);
const fitsDeadline = (now: number, ms: number) => now + Math.ceil(ms) <= LATEST;

/** The argument a filter is refused for, in the order the queue checks them; undefined when it is valid. */
function filterProblem(filter: Record<string, unknown> | undefined): string | undefined {
  if (filter === undefined) return undefined;
  const { ids, jobName, movedBefore, limit } = filter;
  if (jobName !== undefined && typeof jobName !== 'string') return 'filter.jobName';
  if (movedBefore !== undefined && !(movedBefore instanceof Date && Number.isFinite(movedBefore.getTime()))) return 'filter.movedBefore';
  if (ids !== undefined) {
    if (!Array.isArray(ids)) return 'filter.ids';
    const bad = ids.findIndex((id) => !isId(id));
    if (bad >= 0) return `filter.ids[${bad}]`;
  }
  if (limit !== undefined && !isLimit(limit)) return 'filter.limit';
  return undefined;
}

function checkedFilter(filter: Record<string, unknown> | undefined): CheckedFilter {
  const { ids, jobName, movedBefore, limit } = filter ?? {};
  return {
    ids: ids as string[] | undefined,
    jobName: jobName as string | undefined,
    movedBefore: (movedBefore as Date | undefined)?.getTime(),
    limit: limit as number | undefined,
  };
}

// --- generated operations ----------------------------------------------------------------------------------------

/** A target id: one a send returned (by index), or anything at all. */
type Pick = { known: number } | { raw: unknown };
const pick: fc.Arbitrary<Pick> = fc.oneof(
  { arbitrary: fc.nat().map((known) => ({ known })), weight: 5 },
  { arbitrary: fc.oneof(hostileString(), anyNumberish, fc.constant('m_00000000000000000000000000000000')).map((raw) => ({ raw })), weight: 1 },
);

/** A body: bytes (mostly), an envelope (so the sweep has a job name to read), or not bytes at all. */
const body: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: bodyBytes, weight: 8 },
  { arbitrary: fc.tuple(hostileString({ minLength: 1 }), fc.uint8Array({ maxLength: 8 })).map(([name, payload]) => encode(name, payload)), weight: 2 },
  { arbitrary: fc.constantFrom<unknown>('text', null, undefined, [1, 2], 42, new ArrayBuffer(3)), weight: 1 },
);
const delay: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  { arbitrary: fc.integer({ min: 0, max: 5_000 }), weight: 3 },
  { arbitrary: anyNumberish, weight: 2 },
  { arbitrary: fc.constantFrom(2.5e14, 9e14), weight: 1 }, // past 9999-12-31
);
const filter = fc.option(
  fc.record(
    {
      ids: fc.oneof({ arbitrary: fc.array(pick, { maxLength: 3 }), weight: 4 }, { arbitrary: anyNumberish, weight: 1 }),
      jobName: fc.oneof({ arbitrary: hostileString(), weight: 3 }, { arbitrary: fc.constant(''), weight: 1 }, { arbitrary: anyNumberish, weight: 1 }),
      movedBefore: fc.oneof(
        { arbitrary: fc.date({ noInvalidDate: false }), weight: 3 },
        { arbitrary: fc.constantFrom(new Date(8.64e15), new Date(-8.64e15), new Date(Date.UTC(2030, 0))), weight: 2 },
        { arbitrary: anyNumberish, weight: 1 },
      ),
      limit: anyNumberish,
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

const operation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('send' as const), body, delayMs: delay }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('sendMany' as const), bodies: fc.array(body, { maxLength: 5 }), delayMs: delay }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('receiveMany' as const), limit: fc.oneof(fc.integer({ min: 1, max: 4 }), anyNumberish) }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 8_000 }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('extend' as const), target: pick, ms: fc.oneof(fc.integer({ min: 0, max: 5_000 }), anyNumberish, fc.constant(5e14)) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), target: pick }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('deleteMany' as const), targets: fc.oneof(fc.array(pick, { maxLength: 4 }), anyNumberish) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('deadLetter' as const),
      target: pick,
      input: fc.oneof(
        { arbitrary: fc.record({ jobName: hostileString(), reason: fc.constantFrom('permanent_error', 'max_retries'), error: hostileString({ maxLength: 40 }) }), weight: 5 },
        { arbitrary: fc.record({ jobName: fc.oneof(hostileString(), anyNumberish), reason: fc.oneof(hostileString(), fc.constant('permanent_error')), error: fc.oneof(hostileString(), anyNumberish) }), weight: 1 },
        { arbitrary: anyNumberish, weight: 1 },
      ),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constantFrom('deadLetters' as const, 'requeueDead' as const, 'purgeDead' as const), filter }), weight: 3 },
  { arbitrary: fc.constant({ op: 'sweepExhausted' as const }), weight: 2 },
  { arbitrary: fc.constant({ op: 'stats' as const }), weight: 1 },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** A QueueError INVALID_ARGUMENT naming `argument`. */
function expectRefused(result: Awaited<ReturnType<typeof outcome>>, argument: string): void {
  expect(result.ok, `expected a refusal naming ${argument}`).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(QueueError);
  expect(result.error.code).toBe('INVALID_ARGUMENT');
  expect(result.error.message).toContain(argument);
}

function value<T>(result: Awaited<ReturnType<typeof outcome<T>>>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.error.name}: ${result.error.message}`);
  return result.value;
}

// --- the properties --------------------------------------------------------------------------------------------

let runs = 0;

forEachBackend('plain queue under arbitrary input', (backend) => {
  const env = useInstallation(backend);
  const plainStores = () => [env.dbs.replicator, env.dbs.aggregator, env.dbs.egressTracker] as Store[];

  it('opens a queue for any storable name and valid overrides, and refuses anything else naming the argument', async () => {
    const name = fc.oneof(
      { arbitrary: hostileString({ maxLength: 10 }), weight: 6 },
      { arbitrary: fc.constantFrom<unknown>('', undefined, null, 7, ['q']), weight: 1 },
    );
    const overrides = fc.record({ visibilityTimeoutMs: fc.oneof(fc.constant(undefined), anyNumberish), maxDeliveries: fc.oneof(fc.constant(undefined), anyNumberish) }, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(name, overrides, fc.nat(2), bodyBytes, async (raw, given, storeIndex, bytes) => {
        const queueName = typeof raw === 'string' && raw !== '' ? `${raw}·${++runs}` : raw;
        const store = plainStores()[storeIndex]!;
        const opened = await outcome(() => store.queue(queueName as string, given as never));
        const { visibilityTimeoutMs: v, maxDeliveries: m } = given as Record<string, unknown>;
        if (typeof queueName !== 'string' || queueName === '' || unstorable(queueName)) return expectRefused(opened, 'queue name');
        if (v !== undefined && !(typeof v === 'number' && v > 0 && v <= MAX_VISIBILITY_TIMEOUT_MS)) return expectRefused(opened, 'overrides.visibilityTimeoutMs');
        if (m !== undefined && !(Number.isInteger(m) && (m as number) >= 1 && (m as number) <= MAX_INT4)) return expectRefused(opened, 'overrides.maxDeliveries');
        const queue = value(opened);
        if (v !== undefined) expect(queue.settings.visibilityTimeoutMs).toBe(v);
        if (m !== undefined) expect(queue.settings.maxDeliveries).toBe(m);
        // The name is data: a message sent under it comes back from it, byte for byte.
        const id = value(await outcome(() => queue.send(bytes)));
        const received = await outcome(() => queue.receive());
        if (env.clock.now() + Math.ceil(queue.settings.visibilityTimeoutMs) > LATEST) return expectRefused(received, 'settings.visibilityTimeoutMs');
        const message = value(received);
        expect(message?.id).toBe(id);
        expect(Buffer.compare(message!.body, Buffer.from(bytes))).toBe(0);
        await queue.delete(id!);
        expect((await queue.stats()).ready + (await queue.stats()).inFlight).toBe(0);
      }),
      fcParameters(60),
    );
  });

  it('does what the model says for any sequence of calls with arbitrary arguments, and loses nothing', async () => {
    const queueName = hostileString({ minLength: 1, maxLength: 8 }).filter((n) => !unstorable(n));
    const settings = fc.record({
      visibilityTimeoutMs: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 5_000 }), weight: 8 }, { arbitrary: fc.constantFrom(0.5, MAX_VISIBILITY_TIMEOUT_MS), weight: 1 }),
      maxDeliveries: fc.integer({ min: 1, max: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(queueName, settings, fc.nat(2), fc.array(operation, { minLength: 1, maxLength: 30 }), async (raw, overrides, storeIndex, operations) => {
        const store = plainStores()[storeIndex]!;
        const name = `${raw}·${++runs}`;
        const queue = store.queue(name, overrides);
        const model = new Model(name, overrides.visibilityTimeoutMs, overrides.maxDeliveries);
        for (const operation of operations) await apply(queue, model, operation, () => env.clock.now(), (ms) => env.clock.advance(ms));
        await expectRows(store, model);
      }),
      fcParameters(40),
    );
    if (backend === 'sqlite') {
      for (const store of plainStores()) {
        expect((store.connection as SqliteStoreConnection).client.pragma('integrity_check', { simple: true })).toBe('ok');
      }
    }
  });
});

async function apply(queue: QueueStore, model: Model, operation: Operation, now: () => number, advance: (ms: number) => void): Promise<void> {
  const target = (p: Pick): unknown => ('known' in p ? (model.ids.length === 0 ? 'm_none' : model.ids[p.known % model.ids.length]) : p.raw);
  const t = now();
  switch (operation.op) {
    case 'advance':
      return advance(operation.ms);

    case 'send': {
      const options = operation.delayMs === undefined ? undefined : { delayMs: operation.delayMs as number };
      const result = await outcome(() => queue.send(operation.body as Uint8Array, options));
      if (!(operation.body instanceof Uint8Array)) return expectRefused(result, 'body');
      const delayMs = operation.delayMs === undefined ? 0 : operation.delayMs;
      if (!isDuration(delayMs) || !fitsDeadline(t, delayMs)) return expectRefused(result, 'options.delayMs');
      const id = value(result)!;
      expect(id).toMatch(/^m_[0-9a-f]{32}$/);
      model.ids.push(id);
      model.live.set(id, { id, body: Buffer.from(operation.body), createdMs: t, visibleAt: t + Math.ceil(delayMs), received: 0 });
      return;
    }

    case 'sendMany': {
      const options = operation.delayMs === undefined ? undefined : { delayMs: operation.delayMs as number };
      const result = await outcome(() => queue.sendMany(operation.bodies as Uint8Array[], options));
      const bad = operation.bodies.findIndex((b) => !(b instanceof Uint8Array));
      if (bad >= 0) return expectRefused(result, `bodies[${bad}]`);
      const delayMs = operation.delayMs === undefined ? 0 : operation.delayMs;
      if (!isDuration(delayMs) || !fitsDeadline(t, delayMs)) return expectRefused(result, 'options.delayMs');
      const ids = value(result) as string[];
      expect(ids).toHaveLength(operation.bodies.length);
      ids.forEach((id, i) => {
        model.ids.push(id);
        model.live.set(id, { id, body: Buffer.from(operation.bodies[i] as Uint8Array), createdMs: t, visibleAt: t + Math.ceil(delayMs), received: 0 });
      });
      return;
    }

    case 'receiveMany': {
      const result = await outcome(() => queue.receiveMany(operation.limit as number));
      if (!isLimit(operation.limit)) return expectRefused(result, 'limit');
      if (!fitsDeadline(t, model.visibilityMs)) return expectRefused(result, 'settings.visibilityTimeoutMs');
      const expected = model.claimable(t).slice(0, operation.limit);
      const received = value(result);
      expect(received.map((m) => m.id)).toEqual(expected.map((m) => m.id));
      received.forEach((message, i) => {
        const want = expected[i]!;
        want.received += 1;
        want.visibleAt = t + Math.ceil(model.visibilityMs);
        expect(message.received).toBe(want.received);
        expect(Buffer.compare(message.body, want.body), `body of ${message.id}`).toBe(0);
      });
      return;
    }

    case 'extend': {
      const id = target(operation.target);
      const result = await outcome(() => queue.extend(id as string, operation.ms as number));
      if (!isId(id)) return expectRefused(result, 'id');
      if (!isDuration(operation.ms) || !fitsDeadline(t, operation.ms)) return expectRefused(result, 'ms');
      const live = model.live.get(id);
      expect(value(result)).toBe(live !== undefined);
      if (live) live.visibleAt = t + Math.ceil(operation.ms);
      return;
    }

    case 'delete': {
      const id = target(operation.target);
      const result = await outcome(() => queue.delete(id as string));
      if (!isId(id)) return expectRefused(result, 'id');
      value(result);
      model.live.delete(id);
      return;
    }

    case 'deleteMany': {
      const ids = Array.isArray(operation.targets) ? operation.targets.map(target) : operation.targets;
      const result = await outcome(() => queue.deleteMany(ids as string[]));
      if (!Array.isArray(ids)) return expectRefused(result, 'ids');
      const bad = ids.findIndex((id) => !isId(id));
      if (bad >= 0) return expectRefused(result, `ids[${bad}]`);
      value(result);
      for (const id of ids as string[]) model.live.delete(id);
      return;
    }

    case 'deadLetter': {
      const id = target(operation.target);
      const input = operation.input as Record<string, unknown>;
      const result = await outcome(() => queue.deadLetter(id as string, input as never));
      if (!isId(id)) return expectRefused(result, 'id');
      const { jobName, reason, error } = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
      if (typeof jobName !== 'string') return expectRefused(result, 'input.jobName');
      if (reason !== 'permanent_error' && reason !== 'max_retries') return expectRefused(result, 'input.reason');
      if (typeof error !== 'string') return expectRefused(result, 'input.error');
      const live = model.live.get(id);
      if (live === undefined) {
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error).toBeInstanceOf(QueueError);
          expect(result.error.code).toBe('MESSAGE_NOT_FOUND');
          expect(result.error.message).toBe(`message ${id} not found in queue ${model.name}`);
        }
        return;
      }
      value(result);
      model.moveToDead(live, { jobName: storable(jobName), reason, error: storable(error) }, t);
      return;
    }

    case 'sweepExhausted': {
      const swept = value(await outcome(() => queue.sweepExhausted()));
      const exhausted = [...model.live.values()].filter((m) => m.received >= model.maxDeliveries && m.visibleAt <= t);
      expect(swept).toBe(exhausted.length);
      for (const message of exhausted) model.moveToDead(message, { jobName: jobNameOf(message.body), reason: 'max_retries', error: SWEEP_ERROR }, t);
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
      const selected = model.selectDead(checkedFilter(resolved));
      if (operation.op === 'deadLetters') {
        const listed = value(result) as Awaited<ReturnType<QueueStore['deadLetters']>>;
        expect(listed.map((d) => ({ ...d, body: d.body.toString('hex') }))).toEqual(
          selected.map((d) => ({
            id: d.id,
            queue: model.name,
            jobName: d.jobName,
            body: d.body.toString('hex'),
            received: d.received,
            reason: d.reason,
            error: d.error,
            movedAt: new Date(d.movedAt),
          })),
        );
        return;
      }
      expect(value(result)).toBe(selected.length);
      for (const d of selected) {
        model.dead.delete(d.id);
        if (operation.op === 'requeueDead') model.live.set(d.id, { id: d.id, body: d.body, createdMs: d.createdMs, visibleAt: t, received: 0 });
      }
      return;
    }

    case 'stats':
      expect(value(await outcome(() => queue.stats()))).toEqual(model.stats(t));
      return;
  }
}

function jobNameOf(body: Buffer): string {
  try {
    return storable(decode(body).name);
  } catch {
    return '';
  }
}

/** The queue's rows in both tables are exactly the model's: what was sent and not deleted is there, unchanged. */
async function expectRows(store: Store, model: Model): Promise<void> {
  const live = (await tableRows(store, 'jobqueue')).filter((r) => r.queue === model.name);
  const dead = (await tableRows(store, 'jobqueueDead')).filter((r) => r.queue === model.name);
  const byId = (a: { id: string }, b: { id: string }) => compare(a.id, b.id);
  expect(live.map((r) => ({ id: r.id, body: Buffer.from(r.body).toString('hex'), received: r.received })).sort(byId)).toEqual(
    [...model.live.values()].map((m) => ({ id: m.id, body: m.body.toString('hex'), received: m.received })).sort(byId),
  );
  expect(dead.map((r) => ({ id: r.id, body: Buffer.from(r.body).toString('hex'), jobName: r.jobName })).sort(byId)).toEqual(
    [...model.dead.values()].map((d) => ({ id: d.id, body: d.body.toString('hex'), jobName: d.jobName })).sort(byId),
  );
}
