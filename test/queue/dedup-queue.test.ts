/**
 * The dedup queue (Piri's lib/jobqueue/dedup, data-model §4.5) on both backends: keys, scopes, the done and dead
 * blocks, whole-second windows, dead letters, stats, and the tables' formats.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PostgresStoreConnection, SqliteStoreConnection } from '../../src/backend/types.ts';
import { encode, EnvelopeError } from '../../src/queue/envelope.ts';
import type { DedupQueueOverrides } from '../../src/queue/settings.ts';
import { forEachBackend } from '../support/installations.ts';
import { ALL_BYTES, fingerprint, freshName, HOSTILE_NAMES, patterned, tableRows, useInstallation } from '../support/queues.ts';

const JOB = 'aggregate_piece';
const envelope = (payload: string | Buffer, jobName = JOB, traceId = '0'.repeat(32)) =>
  encode(jobName, Buffer.from(payload), { traceId, spanId: '1'.repeat(16) });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

forEachBackend('dedup queue', (backend) => {
  const env = useInstallation(backend);
  const open = (overrides?: DedupQueueOverrides, name = freshName()) => env.dbs.aggregator.dedupQueue(name, overrides);
  // Windows are whole seconds: every test starts on one, so its arithmetic does not depend on the tests before.
  beforeEach(() => env.clock.advance(1_000 - (env.clock.now() % 1_000)));

  describe('send and receive', () => {
    it('returns decimal ids and hands out the envelope as sent, oldest second first, then by id', async () => {
      const q = open();
      const a = await q.send(envelope('a'));
      const [b, c] = await q.sendMany([envelope('b'), envelope('c')]);
      env.clock.advance(1_000);
      const d = await q.send(envelope('d'));
      for (const id of [a, b, c, d]) expect(id).toMatch(/^[0-9]+$/);
      const received = await q.receiveMany(10);
      expect(received.map((m) => m.id)).toEqual([a, b, c, d]);
      expect(received[0]).toEqual({ id: a, body: envelope('a'), received: 1 });
      expect(await q.receive()).toBeUndefined();
    });

    it('keys a message by its payload: the same payload with another trace is a duplicate, skipped without error', async () => {
      const q = open();
      const first = await q.send(envelope('piece', JOB, 'a'.repeat(32)));
      expect(first).toBeDefined();
      expect(await q.send(envelope('piece', JOB, 'b'.repeat(32)))).toBeUndefined();
      expect(await q.sendMany([envelope('other'), envelope('piece'), envelope('other')])).toEqual([expect.stringMatching(/^\d+$/), undefined, undefined]);
      expect((await q.stats()).ready).toBe(2);
      const keys = (await tableRows(env.dbs.aggregator, 'jobs')).filter((r) => String(r.id) === first).map((r) => r.key);
      expect(keys).toEqual([sha256(Buffer.from('piece'))]);
    });

    it('scopes keys by queue and job name', async () => {
      const q = open();
      const other = open();
      expect(await q.send(envelope('same', 'job-a'))).toBeDefined();
      expect(await q.send(envelope('same', 'job-b'))).toBeDefined();
      expect(await other.send(envelope('same', 'job-a'))).toBeDefined();
      expect((await q.stats()).ready).toBe(2);
      expect((await other.stats()).ready).toBe(1);
    });

    it('reads envelope fields case-insensitively, as Go does', async () => {
      const q = open();
      const shouting = Buffer.from(`{"NAME":"${JOB}","Message":"${Buffer.from('loud').toString('base64')}"}\n`);
      expect(await q.send(shouting)).toBeDefined();
      expect(await q.send(envelope('loud'))).toBeUndefined();
    });

    it("refuses a body that is not an envelope with Piri's messages, writing nothing", async () => {
      const q = open();
      const cases: [Buffer, string][] = [
        [Buffer.from('not json'), 'decode message envelope'],
        [Buffer.from('{}'), 'message envelope missing name'],
        [Buffer.from('{"name":"","message":""}'), 'message envelope missing name'],
        [Buffer.from('{"name":"j","message":"%%%"}'), 'decode message envelope'],
        [Buffer.from('[1]'), 'decode message envelope'],
      ];
      for (const [body, message] of cases) {
        const error = await q.send(body).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EnvelopeError);
        expect((error as Error).message.startsWith(message)).toBe(true);
      }
      await expect(q.sendMany([envelope('fine'), Buffer.from('{}')])).rejects.toThrow('message envelope missing name');
      expect((await q.stats()).ready).toBe(0);
      await expect(q.send('text' as unknown as Buffer)).rejects.toThrow(/^body must be a Uint8Array/);
    });

    it('never reuses an id after the queue drains', async () => {
      const q = open();
      const first = Number(await q.send(envelope('one')));
      const m = await q.receive();
      await q.delete(m!.id);
      expect((await q.stats()).ready + (await q.stats()).inFlight).toBe(0);
      expect(Number(await q.send(envelope('two')))).toBeGreaterThan(first);
    });

    it('concurrent sends of one payload leave exactly one job', async () => {
      const q = open();
      const ids = await Promise.all(Array.from({ length: 12 }, (_, i) => q.send(envelope('racy', JOB, String(i).padStart(32, '0')))));
      expect(ids.filter((id) => id !== undefined)).toHaveLength(1);
      expect((await q.stats()).ready).toBe(1);
    });
  });

  describe('dedupe', () => {
    it('with dedupe on, a payload that succeeded is never queued again', async () => {
      const q = open({ dedupe: { enabled: true } });
      const id = (await q.send(envelope('done once')))!;
      await q.receive();
      await q.delete(id);
      expect(await q.send(envelope('done once'))).toBeUndefined();
      expect((await q.stats()).ready).toBe(0);
      const done = (await tableRows(env.dbs.aggregator, 'jobDone')).filter((r) => r.key.equals(sha256(Buffer.from('done once'))));
      expect(done.map((r) => [r.status, r.doneS])).toEqual([[1, Math.floor(env.clock.now() / 1000)]]);
    });

    it('with dedupe off, a payload that succeeded can be queued again, but a live duplicate is still skipped', async () => {
      const q = open({ dedupe: { enabled: false } });
      const id = (await q.send(envelope('again')))!;
      expect(await q.send(envelope('again'))).toBeUndefined();
      await q.delete(id);
      const second = await q.send(envelope('again'));
      expect(second).toBeDefined();
      expect(second).not.toBe(id);
    });

    it('blocks a dead-lettered payload only with dedupe and blockRepeatsAfterDeadLetter on', async () => {
      const cases: [DedupQueueOverrides['dedupe'], boolean][] = [
        [{ enabled: true, blockRepeatsAfterDeadLetter: true }, true],
        [{ enabled: true, blockRepeatsAfterDeadLetter: false }, false],
        [{ enabled: false, blockRepeatsAfterDeadLetter: true }, false],
      ];
      for (const [dedupe, blocked] of cases) {
        const q = open({ dedupe });
        const id = (await q.send(envelope('poison')))!;
        await q.deadLetter(id, { jobName: JOB, reason: 'permanent_error', error: 'bad' });
        const again = await q.send(envelope('poison'));
        expect(again === undefined).toBe(blocked);
      }
    });

    it("uses the aggregator queue's Piri settings: dedupe on, dead letters do not block", async () => {
      const q = env.dbs.aggregator.dedupQueue('aggregator');
      const id = (await q.send(envelope('registry')))!;
      await q.deadLetter(id, { jobName: JOB, reason: 'max_retries', error: 'x' });
      const again = (await q.send(envelope('registry')))!;
      expect(again).toBeDefined();
      await q.delete(again);
      expect(await q.send(envelope('registry'))).toBeUndefined();
    });
  });

  describe('claims in whole seconds', () => {
    it('rounds a sub-second visibility window up to a whole second instead of collapsing it to zero', async () => {
      const q = open({ visibilityTimeoutMs: 500 });
      const id = (await q.send(envelope('window')))!;
      env.clock.advance(200);
      const start = env.clock.now(); // x.200 s: the window ends at the first whole second after x.700 s
      expect((await q.receive())?.id).toBe(id);
      env.clock.advance(500);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(299);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect(env.clock.now() - start).toBe(800);
      expect(await q.receive()).toEqual({ id, body: envelope('window'), received: 2 });
    });

    it('receives a message sent without delay at once, and a delayed one from the first whole second at or after its deadline', async () => {
      const q = open();
      env.clock.advance(500); // x.500 s
      await q.send(envelope('delayed'), { delayMs: 1_200 }); // deadline x+1.700 -> x+2.000
      const now = await q.send(envelope('now'));
      expect((await q.receive())?.id).toBe(now);
      env.clock.advance(1_499);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect(payloadText((await q.receive())!.body)).toBe('delayed');
      await expect(q.send(envelope('x'), { delayMs: -1 })).rejects.toThrow('options.delayMs must be a finite number');
    });

    it('never hands out a job delivered maxDeliveries times; receiveMany takes up to the limit', async () => {
      const q = open({ maxDeliveries: 2, visibilityTimeoutMs: 1_000 });
      const ids = await q.sendMany([envelope('1'), envelope('2'), envelope('3')]);
      expect((await q.receiveMany(2)).map((m) => m.id)).toEqual(ids.slice(0, 2));
      expect((await q.receiveMany(2)).map((m) => m.id)).toEqual(ids.slice(2));
      env.clock.advance(1_000);
      expect((await q.receiveMany(5)).map((m) => [m.id, m.received])).toEqual(ids.map((id) => [id, 2]));
      env.clock.advance(1_000);
      expect(await q.receiveMany(5)).toEqual([]);
      expect((await q.stats()).exhausted).toBe(3);
      await expect(q.receiveMany(0)).rejects.toThrow('limit must be an integer >= 1');
    });

    it('extend moves the deadline to now + ms rounded up to a second, only for jobs of this queue', async () => {
      const q = open({ visibilityTimeoutMs: 1_000 });
      const other = open();
      const id = (await q.send(envelope('long job')))!;
      await q.receive();
      expect(await q.extend(id, 5_000)).toBe(true);
      env.clock.advance(4_999);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect((await q.receive())?.received).toBe(2);
      expect(await other.extend(id, 1_000)).toBe(false);
      expect(await q.extend('999999999', 1_000)).toBe(false);
      await expect(q.extend('m_abc', 1_000)).rejects.toThrow('id must be a dedup message id');
    });
  });

  describe('delete and dead letters', () => {
    it('delete and deleteMany remove jobs of this queue only; missing ids are a no-op', async () => {
      const q = open();
      const other = open();
      const [a, b, c] = await q.sendMany([envelope('a'), envelope('b'), envelope('c')]);
      const theirs = (await other.send(envelope('theirs')))!;
      await q.deleteMany([a!, c!, theirs, '424242']);
      await q.delete(a!);
      expect((await q.receiveMany(5)).map((m) => m.id)).toEqual([b]);
      expect((await other.receive())?.id).toBe(theirs);
      await expect(q.deleteMany(['1', '-2'])).rejects.toThrow('ids[1] must be a dedup message id');
    });

    it('deadLetter keeps the original id and recovers the job name from its namespace; a missing id is a no-op', async () => {
      const q = open();
      const id = (await q.send(envelope('dead', 'job-x')))!;
      await q.receive();
      env.clock.advance(1_700);
      await q.deadLetter(id, { jobName: 'ignored', reason: 'permanent_error', error: 'nope' });
      await q.deadLetter(id, { jobName: 'ignored', reason: 'permanent_error', error: 'again' });
      await q.deadLetter('123456789', { jobName: 'j', reason: 'permanent_error', error: 'missing' });
      expect(await q.deadLetters()).toEqual([
        {
          id,
          queue: q.name,
          jobName: 'job-x',
          body: envelope('dead', 'job-x'),
          received: 1,
          reason: 'permanent_error',
          error: 'nope',
          movedAt: new Date(Math.floor(env.clock.now() / 1000) * 1000),
        },
      ]);
      expect((await q.stats()).dead).toBe(1);
    });

    it('sweepExhausted moves exhausted jobs whose window passed, and blocks their keys when configured', async () => {
      const q = open({ maxDeliveries: 1, visibilityTimeoutMs: 2_000, dedupe: { enabled: true, blockRepeatsAfterDeadLetter: true } });
      const lost = (await q.send(envelope('lost')))!;
      await q.receive();
      const fresh = (await q.send(envelope('fresh')))!;
      expect(await q.sweepExhausted()).toBe(0);
      env.clock.advance(2_000);
      expect(await q.sweepExhausted()).toBe(1);
      const [dead] = await q.deadLetters();
      expect([dead?.id, dead?.reason, dead?.jobName]).toEqual([lost, 'max_retries', JOB]);
      expect(dead?.error).toContain('worker lost');
      expect(await q.send(envelope('lost'))).toBeUndefined();
      expect((await q.receive())?.id).toBe(fresh);
    });

    it('lists dead letters oldest first, filtered by ids, job name, moved-before and limit', async () => {
      const q = open();
      const ids: string[] = [];
      const moved: number[] = [];
      for (const [i, jobName] of ['a', 'b', 'a', 'c'].entries()) {
        const id = (await q.send(envelope(`p${i}`, jobName)))!;
        await q.deadLetter(id, { jobName, reason: 'permanent_error', error: `e${i}` });
        ids.push(id);
        moved.push(env.clock.now());
        env.clock.advance(1_000);
      }
      const listed = async (filter?: Parameters<typeof q.deadLetters>[0]) => (await q.deadLetters(filter)).map((d) => d.id);
      expect(await listed()).toEqual(ids);
      expect(await listed({ jobName: 'a' })).toEqual([ids[0], ids[2]]);
      expect(await listed({ ids: [ids[3]!, ids[1]!] })).toEqual([ids[1], ids[3]]);
      expect(await listed({ movedBefore: new Date(moved[2]!) })).toEqual([ids[0], ids[1]]);
      expect(await listed({ movedBefore: new Date(moved[2]! + 1) })).toEqual([ids[0], ids[1], ids[2]]);
      expect(await listed({ limit: 3, jobName: 'a' })).toEqual([ids[0], ids[2]]);
      await expect(q.deadLetters({ ids: ['x'] })).rejects.toThrow('filter.ids[0] must be a dedup message id');
    });

    it('requeueDead puts a dead letter back under its id and lifts its dead-letter block', async () => {
      const q = open({ visibilityTimeoutMs: 1_000, dedupe: { enabled: true, blockRepeatsAfterDeadLetter: true } });
      const id = (await q.send(envelope('second chance')))!;
      await q.receive();
      await q.deadLetter(id, { jobName: JOB, reason: 'permanent_error', error: 'bug' });
      expect(await q.send(envelope('second chance'))).toBeUndefined();
      expect(await q.requeueDead()).toBe(1);
      expect(await q.deadLetters()).toEqual([]);
      expect(await q.receive()).toEqual({ id, body: envelope('second chance'), received: 1 });
      await q.deadLetter(id, { jobName: JOB, reason: 'permanent_error', error: 'bug' });
      await q.requeueDead();
      await q.delete(id);
      // Only the success is on record now: a repeat is blocked as done, not as dead.
      expect(await q.send(envelope('second chance'))).toBeUndefined();
      const done = (await tableRows(env.dbs.aggregator, 'jobDone')).filter((r) => r.key.equals(sha256(Buffer.from('second chance'))));
      expect(done.map((r) => r.status)).toContain(1);
      expect(done.map((r) => r.status)).not.toContain(2);
    });

    it('requeueDead drops, instead of requeueing, a dead letter whose payload is live again or done since', async () => {
      const q = open({ dedupe: { enabled: true, blockRepeatsAfterDeadLetter: false } });
      const liveDead = (await q.send(envelope('live again')))!;
      await q.deadLetter(liveDead, { jobName: JOB, reason: 'permanent_error', error: 'e' });
      const live = (await q.send(envelope('live again')))!;
      const doneDead = (await q.send(envelope('done since')))!;
      await q.deadLetter(doneDead, { jobName: JOB, reason: 'permanent_error', error: 'e' });
      await q.delete((await q.send(envelope('done since')))!);
      expect(await q.requeueDead()).toBe(2);
      expect(await q.deadLetters()).toEqual([]);
      expect((await q.receiveMany(5)).map((m) => m.id)).toEqual([live]);
    });

    it('requeueDead and purgeDead act on the filtered dead letters only and count them', async () => {
      const q = open();
      const ids: string[] = [];
      for (const jobName of ['keep', 'requeue', 'purge', 'purge']) {
        const id = (await q.send(envelope(jobName + ids.length, jobName)))!;
        await q.deadLetter(id, { jobName, reason: 'permanent_error', error: 'e' });
        ids.push(id);
      }
      expect(await q.requeueDead({ jobName: 'requeue' })).toBe(1);
      expect(await q.purgeDead({ jobName: 'purge', limit: 1 })).toBe(1);
      expect(await q.purgeDead({ ids: [ids[3]!] })).toBe(1);
      expect(await q.purgeDead({ jobName: 'nothing' })).toBe(0);
      expect((await q.deadLetters()).map((d) => d.id)).toEqual([ids[0]]);
      expect((await q.receiveMany(10)).map((m) => m.id)).toEqual([ids[1]]);
    });
  });

  it('stats counts each state, the dead letters and the age of the oldest job', async () => {
    const q = open({ maxDeliveries: 1, visibilityTimeoutMs: 10_000 });
    expect(await q.stats()).toEqual({ queue: q.name, ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0, oldestAgeMs: 0 });
    await q.send(envelope('exhausted'));
    await q.receive();
    env.clock.advance(10_000);
    await q.send(envelope('in flight'));
    await q.receive();
    await q.deadLetter((await q.send(envelope('dead')))!, { jobName: JOB, reason: 'permanent_error', error: 'e' });
    await q.send(envelope('delayed'), { delayMs: 60_000 });
    await q.sendMany([envelope('ready 1'), envelope('ready 2')]);
    env.clock.advance(500);
    expect(await q.stats()).toEqual({ queue: q.name, ready: 2, inFlight: 1, delayed: 1, exhausted: 1, dead: 1, oldestAgeMs: 10_500 });
  });

  it('keeps envelopes of 0-byte, all-256-byte-value and 1 MiB payloads byte for byte, keyed by the payload', async () => {
    const q = open();
    const payloads = [Buffer.alloc(0), ALL_BYTES, patterned(1024 * 1024)];
    const bodies = payloads.map((p) => encode(JOB, p));
    const ids = await q.sendMany(bodies);
    const received = await q.receiveMany(5);
    expect(received.map((m) => fingerprint(m.body))).toEqual(bodies.map(fingerprint));
    const keys = new Map((await tableRows(env.dbs.aggregator, 'jobs')).map((r) => [String(r.id), fingerprint(r.key)]));
    expect(ids.map((id) => keys.get(id!))).toEqual(payloads.map((p) => fingerprint(sha256(p))));
    for (const m of received) await q.deadLetter(m.id, { jobName: JOB, reason: 'permanent_error', error: 'e' });
    expect((await q.deadLetters()).map((d) => fingerprint(d.body))).toEqual(bodies.map(fingerprint));
  });

  it('treats queue and job names with quotes, backslashes, unicode, SQL and LIKE wildcards as plain data', async () => {
    const queues = HOSTILE_NAMES.map((name) => env.dbs.aggregator.dedupQueue(name));
    for (const q of queues) {
      for (const jobName of HOSTILE_NAMES) expect(await q.send(envelope('same payload', jobName))).toBeDefined();
    }
    for (const q of queues) {
      expect((await q.stats()).ready).toBe(HOSTILE_NAMES.length);
      const received = await q.receiveMany(100);
      expect(received).toHaveLength(HOSTILE_NAMES.length);
      for (const m of received) await q.deadLetter(m.id, { jobName: '', reason: 'permanent_error', error: 'e' });
      for (const jobName of HOSTILE_NAMES) {
        expect((await q.deadLetters({ jobName })).map((d) => [d.queue, d.jobName])).toEqual([[q.name, jobName]]);
      }
    }
    const namespaces = await tableRows(env.dbs.aggregator, 'jobNs');
    expect(namespaces.filter((r) => (HOSTILE_NAMES as readonly string[]).includes(r.queue))).toHaveLength(HOSTILE_NAMES.length ** 2);
  });

  it("records the queue in Piri's informational queues table on first use", async () => {
    const on = open({ dedupe: { enabled: true } });
    const off = open({ dedupe: { enabled: false } });
    await on.stats();
    await off.stats();
    const rows = new Map((await tableRows(env.dbs.aggregator, 'queues')).map((r) => [r.queue, r.dedupeEnabled]));
    expect([rows.get(on.name), rows.get(off.name)]).toEqual([1, 0]);
  });
});

describe('dedup queue storage formats [sqlite]', () => {
  const env = useInstallation('sqlite');
  const client = () => (env.dbs.aggregator.connection as SqliteStoreConnection).client;

  it('writes integer epoch seconds from the injected clock', async () => {
    const q = env.dbs.aggregator.dedupQueue(freshName());
    env.clock.advance(750);
    const id = (await q.send(envelope('x'), { delayMs: 2_000 }))!;
    const row = client().prepare(`SELECT typeof(created_s) AS type, created_s AS created, avail_s AS avail FROM jobs WHERE id = ?`).get(Number(id));
    const nowS = Math.floor(env.clock.now() / 1000);
    expect(row).toEqual({ type: 'integer', created: nowS, avail: Math.ceil((env.clock.now() + 2_000) / 1000) });
  });

  it('reads jobs Piri wrote and leaves jobs its receive statement can claim', async () => {
    const q = env.dbs.aggregator.dedupQueue(freshName());
    await q.send(envelope('ours'));
    const nowS = Math.floor(env.clock.now() / 1000);
    const [{ id: nsId }] = client().prepare(`SELECT id FROM job_ns WHERE queue = ? AND name = ?`).all(q.name, JOB) as [{ id: number }];
    // Piri's send: created_s from the column default (the wall clock, later than the test clock), avail_s = unix(now).
    const piri = client()
      .prepare(`INSERT INTO jobs (ns_id, key, body, avail_s) VALUES (?, ?, ?, ?) RETURNING id`)
      .get(nsId, sha256(Buffer.from('piri')), envelope('piri'), nowS) as { id: number };
    // created_s came from the column default (the wall clock), so only the set is certain, not the order.
    expect((await q.receiveMany(5)).map((m) => payloadText(m.body)).sort()).toEqual(['ours', 'piri']);
    await q.delete(String(piri.id));
    expect(await q.send(envelope('piri'))).toBeUndefined();

    const theirs = (await q.send(envelope('for piri')))!;
    const claimed = client()
      .prepare(
        `WITH next_job AS (SELECT j.id FROM jobs j JOIN job_ns ns ON ns.id = j.ns_id
                           WHERE ns.queue = ? AND j.avail_s <= ? AND j.attempts < ? ORDER BY j.created_s, j.id LIMIT 1)
         UPDATE jobs SET attempts = attempts + 1, avail_s = ? + 30 WHERE id = (SELECT id FROM next_job) RETURNING id, body, attempts`,
      )
      .get(q.name, nowS, 50, nowS);
    expect(claimed).toEqual({ id: Number(theirs), body: envelope('for piri'), attempts: 1 });
  });
});

describe('dedup queue storage formats [postgres]', () => {
  const env = useInstallation('postgres');
  const sql = () => (env.dbs.aggregator.connection as PostgresStoreConnection).client;

  it('writes bigint epoch seconds from the injected clock', async () => {
    const q = env.dbs.aggregator.dedupQueue(freshName());
    env.clock.advance(750);
    const id = (await q.send(envelope('x'), { delayMs: 2_000 }))!;
    const [row] = await sql().unsafe(`SELECT pg_typeof(created_s)::text AS type, created_s::float8 AS created, avail_s::float8 AS avail FROM aggregator.jobs WHERE id = $1`, [Number(id)]);
    const nowS = Math.floor(env.clock.now() / 1000);
    expect(row).toEqual({ type: 'bigint', created: nowS, avail: Math.ceil((env.clock.now() + 2_000) / 1000) });
  });

  it('reads jobs Piri wrote and leaves jobs its receive statement can claim', async () => {
    const q = env.dbs.aggregator.dedupQueue(freshName());
    await q.send(envelope('ours'));
    const nowS = Math.floor(env.clock.now() / 1000);
    const [{ id: nsId }] = (await sql().unsafe(`SELECT id FROM aggregator.job_ns WHERE queue = $1 AND name = $2`, [q.name, JOB])) as unknown as [{ id: number }];
    const [piri] = (await sql().unsafe(`INSERT INTO aggregator.jobs (ns_id, key, body, avail_s) VALUES ($1, $2, $3, $4) RETURNING id`, [
      nsId,
      sha256(Buffer.from('piri')),
      envelope('piri'),
      nowS,
    ])) as unknown as [{ id: number }];
    // created_s came from the column default (the wall clock), so only the set is certain, not the order.
    expect((await q.receiveMany(5)).map((m) => payloadText(m.body)).sort()).toEqual(['ours', 'piri']);
    await q.delete(String(piri.id));
    expect(await q.send(envelope('piri'))).toBeUndefined();

    const theirs = (await q.send(envelope('for piri')))!;
    const claimed = await sql().unsafe(
      `WITH next_job AS (SELECT j.id FROM aggregator.jobs j JOIN aggregator.job_ns ns ON ns.id = j.ns_id
                         WHERE ns.queue = $1 AND j.avail_s <= $2 AND j.attempts < $3 ORDER BY j.created_s, j.id LIMIT 1)
       UPDATE aggregator.jobs SET attempts = attempts + 1, avail_s = $2 + 30 WHERE id = (SELECT id FROM next_job) RETURNING id, body, attempts`,
      [q.name, nowS, 50],
    );
    expect([...claimed]).toEqual([{ id: Number(theirs), body: envelope('for piri'), attempts: 1 }]);
  });
});

function payloadText(body: Buffer): string {
  return Buffer.from(JSON.parse(body.toString()).message, 'base64').toString();
}
