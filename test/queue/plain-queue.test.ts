/**
 * The plain queue (Piri's jobqueue, data-model §4.3) on both backends: every operation, the visibility and delivery
 * rules, dead letters, stats, byte-exact bodies and names that must stay data.
 */
import { describe, expect, it } from 'vitest';
import type { PostgresStoreConnection, SqliteStoreConnection } from '../../src/backend/types.ts';
import { QueueError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import type { QueueOverrides } from '../../src/queue/settings.ts';
import { forEachBackend } from '../support/installations.ts';
import { ALL_BYTES, fingerprint, freshName, HOSTILE_NAMES, patterned, tableRows, useInstallation } from '../support/queues.ts';

const text = (body: Buffer | undefined) => body?.toString('utf8');

forEachBackend('plain queue', (backend) => {
  const env = useInstallation(backend);
  const open = (overrides?: QueueOverrides, name = freshName()) => env.dbs.replicator.queue(name, overrides);

  describe('send and receive', () => {
    it('hands out the oldest message first: by created time, then in send order within one millisecond', async () => {
      const q = open();
      await q.send(Buffer.from('a'));
      await q.send(Buffer.from('b'));
      await q.sendMany([Buffer.from('c'), Buffer.from('d')]);
      env.clock.advance(1);
      await q.send(Buffer.from('e'));
      const received = [];
      for (let m = await q.receive(); m !== undefined; m = await q.receive()) received.push(text(m.body));
      expect(received).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('returns ids in Piri\'s format and the message as sent, delivered once so far', async () => {
      const q = open();
      const id = await q.send(Buffer.from('hello'));
      expect(id).toMatch(/^m_[0-9a-f]{32}$/);
      expect(await q.receive()).toEqual({ id, body: Buffer.from('hello'), received: 1 });
      expect(await q.receive()).toBeUndefined();
    });

    it('keeps a delayed message back until the clock reaches now + delay', async () => {
      const q = open();
      await q.send(Buffer.from('later'), { delayMs: 1_000 });
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(999);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect(text((await q.receive())?.body)).toBe('later');
    });

    it('refuses a negative, non-finite or out-of-range delay, naming the option', async () => {
      const q = open();
      for (const delayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
        const error = await q.send(Buffer.from('x'), { delayMs }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QueueError);
        expect((error as QueueError).code).toBe('INVALID_ARGUMENT');
        expect((error as Error).message).toContain('options.delayMs');
      }
      await expect(q.sendMany([Buffer.from('x')], { delayMs: -5 })).rejects.toThrow('options.delayMs');
      await expect(q.send(Buffer.from('x'), { delayMs: 1e15 })).rejects.toThrow('after 9999-12-31');
      expect((await q.stats()).delayed + (await q.stats()).ready).toBe(0);
    });

    it('sendMany queues every body in order and returns their ids', async () => {
      const q = open();
      const ids = await q.sendMany([Buffer.from('1'), Buffer.from('2'), Buffer.from('3')]);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      const received = await q.receiveMany(10);
      expect(received.map((m) => m.id)).toEqual(ids);
      expect(received.map((m) => text(m.body))).toEqual(['1', '2', '3']);
      expect(await q.sendMany([])).toEqual([]);
    });

    it('sendMany of several hundred bodies (more than one statement holds on SQLite) keeps ids, bodies and order', async () => {
      const q = open();
      const bodies = Array.from({ length: 250 }, (_, i) => Buffer.from(`body ${i}`));
      const ids = await q.sendMany(bodies);
      for (const id of ids) expect(id).toMatch(/^m_[0-9a-f]{32}$/);
      expect([...ids].sort()).toEqual(ids);
      const received = await q.receiveMany(1_000);
      expect(received.map((m) => m.id)).toEqual(ids);
      expect(received.map((m) => text(m.body))).toEqual(bodies.map((b) => b.toString('utf8')));
    });

    it('sendMany writes nothing when one body is invalid, and names it', async () => {
      const q = open();
      await expect(q.sendMany([Buffer.from('ok'), 'no' as unknown as Buffer])).rejects.toThrow('bodies[1] must be a Uint8Array');
      expect((await q.stats()).ready).toBe(0);
    });

    it('accepts any Uint8Array and refuses other bodies, naming the argument', async () => {
      const q = open();
      const view = new Uint8Array([9, 8, 7, 6]).subarray(1, 3);
      await q.send(view);
      expect((await q.receive())?.body).toEqual(Buffer.from([8, 7]));
      for (const body of ['text', null, undefined, [1, 2], 42]) {
        await expect(q.send(body as unknown as Uint8Array)).rejects.toThrow(/^body must be a Uint8Array/);
      }
    });
  });

  describe('claims', () => {
    it('holds a claim for the visibility timeout, then redelivers the message with received + 1', async () => {
      const q = open({ visibilityTimeoutMs: 5_000 });
      const id = await q.send(Buffer.from('job'));
      expect((await q.receive())?.received).toBe(1);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(4_999);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect(await q.receive()).toEqual({ id, body: Buffer.from('job'), received: 2 });
    });

    it('never hands out a message delivered maxDeliveries times', async () => {
      const q = open({ maxDeliveries: 2, visibilityTimeoutMs: 1_000 });
      await q.send(Buffer.from('x'));
      expect((await q.receive())?.received).toBe(1);
      env.clock.advance(1_000);
      expect((await q.receive())?.received).toBe(2);
      env.clock.advance(1_000);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(60_000);
      expect(await q.receiveMany(5)).toEqual([]);
      expect((await q.stats()).exhausted).toBe(1);
    });

    it('receiveMany claims up to the limit, oldest first, each message once', async () => {
      const q = open();
      const ids = await q.sendMany(['a', 'b', 'c', 'd', 'e'].map((s) => Buffer.from(s)));
      const first = await q.receiveMany(3);
      const second = await q.receiveMany(3);
      expect(first.map((m) => m.id)).toEqual(ids.slice(0, 3));
      expect(second.map((m) => m.id)).toEqual(ids.slice(3));
      expect(await q.receiveMany(3)).toEqual([]);
      for (const limit of [0, -1, 1.5, Number.NaN]) await expect(q.receiveMany(limit)).rejects.toThrow(/^limit must be an integer >= 1/);
    });

    it('extend moves the deadline to now + ms, and says false for a message that is not in the queue', async () => {
      const q = open({ visibilityTimeoutMs: 5_000 });
      const other = open();
      const id = (await q.send(Buffer.from('x')))!;
      await q.receive();
      env.clock.advance(4_000);
      expect(await q.extend(id, 10_000)).toBe(true);
      env.clock.advance(9_999);
      expect(await q.receive()).toBeUndefined();
      env.clock.advance(1);
      expect((await q.receive())?.received).toBe(2);
      expect(await q.extend('m_00000000000000000000000000000000', 1_000)).toBe(false);
      expect(await other.extend(id, 1_000)).toBe(false);
      await expect(q.extend(id, -1)).rejects.toThrow(/^ms must be a finite number/);
      await expect(q.extend('', 1)).rejects.toThrow(/^id must be a non-empty message id/);
    });

    it('extend by 0 makes a claimed message receivable at once', async () => {
      const q = open({ visibilityTimeoutMs: 60_000 });
      const id = (await q.send(Buffer.from('x')))!;
      await q.receive();
      expect(await q.extend(id, 0)).toBe(true);
      expect((await q.receive())?.id).toBe(id);
    });
  });

  describe('delete', () => {
    it('removes a message; a missing id is a no-op', async () => {
      const q = open({ visibilityTimeoutMs: 1_000 });
      const id = (await q.send(Buffer.from('x')))!;
      await q.receive();
      await q.delete(id);
      await q.delete(id);
      env.clock.advance(1_000);
      expect(await q.receive()).toBeUndefined();
      expect(await q.extend(id, 1)).toBe(false);
    });

    it('deleteMany removes the given messages of this queue only', async () => {
      const q = open();
      const other = open();
      const [a, b, c] = await q.sendMany([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
      const theirs = (await other.send(Buffer.from('theirs')))!;
      await q.deleteMany([a!, c!, theirs, 'm_missing']);
      await q.deleteMany([]);
      expect((await q.receiveMany(10)).map((m) => m.id)).toEqual([b]);
      expect((await other.receive())?.id).toBe(theirs);
      await expect(q.deleteMany(['ok', 7 as unknown as string])).rejects.toThrow(/^ids\[1\] must be a non-empty message id/);
    });
  });

  describe('dead letters', () => {
    it('deadLetter moves the message with its columns to jobqueue_dead in one step', async () => {
      const q = open();
      const id = (await q.send(Buffer.from('doomed')))!;
      await q.receive();
      env.clock.advance(250);
      await q.deadLetter(id, { jobName: 'transfer-task', reason: 'permanent_error', error: 'peer said no' });
      expect(await q.deadLetters()).toEqual([
        {
          id,
          queue: q.name,
          jobName: 'transfer-task',
          body: Buffer.from('doomed'),
          received: 1,
          reason: 'permanent_error',
          error: 'peer said no',
          movedAt: new Date(env.clock.now()),
        },
      ]);
      expect(await q.extend(id, 0)).toBe(false);
      expect((await q.stats()).dead).toBe(1);
    });

    it("fails with Piri's message when the message is not in the queue", async () => {
      const q = open();
      const other = open();
      const theirs = (await other.send(Buffer.from('x')))!;
      for (const id of ['m_missing', theirs]) {
        const error = await q.deadLetter(id, { jobName: 'j', reason: 'max_retries', error: 'e' }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(QueueError);
        expect((error as QueueError).code).toBe('MESSAGE_NOT_FOUND');
        expect((error as Error).message).toBe(`message ${id} not found in queue ${q.name}`);
      }
      expect((await other.stats()).ready).toBe(1);
    });

    it('checks the dead-letter input', async () => {
      const q = open();
      const id = (await q.send(Buffer.from('x')))!;
      await expect(q.deadLetter(id, { jobName: 'j', reason: 'oops' as 'max_retries', error: 'e' })).rejects.toThrow(
        'input.reason must be one of permanent_error, max_retries',
      );
      await expect(q.deadLetter(id, { jobName: 1 as unknown as string, reason: 'max_retries', error: 'e' })).rejects.toThrow('input.jobName');
      await expect(q.deadLetter(id, { jobName: 'j', reason: 'max_retries', error: undefined as unknown as string })).rejects.toThrow('input.error');
      expect((await q.stats()).ready).toBe(1);
    });

    it('sweepExhausted moves exhausted messages whose window has passed, reason max_retries, named from the envelope', async () => {
      const q = open({ maxDeliveries: 1, visibilityTimeoutMs: 5_000 });
      const lost = (await q.send(encode('transfer-task', Buffer.from('{}'))))!;
      const opaque = (await q.send(Buffer.from('not an envelope')))!;
      await q.receiveMany(2);
      const untouched = (await q.send(Buffer.from('fresh')))!;
      expect(await q.sweepExhausted()).toBe(0);
      env.clock.advance(5_000);
      expect(await q.sweepExhausted()).toBe(2);
      expect(await q.sweepExhausted()).toBe(0);
      const dead = await q.deadLetters();
      expect(dead.map((d) => [d.id, d.jobName, d.reason, d.received])).toEqual([
        [lost, 'transfer-task', 'max_retries', 1],
        [opaque, '', 'max_retries', 1],
      ]);
      expect(dead[0]!.error).toContain('ended without an outcome (worker lost)');
      expect((await q.receive())?.id).toBe(untouched);
    });

    it('lists dead letters oldest first, filtered by ids, job name, moved-before and limit', async () => {
      const q = open();
      const other = open();
      const ids: string[] = [];
      const moved: number[] = [];
      for (const [i, jobName] of ['a', 'b', 'a', 'c'].entries()) {
        const id = (await q.send(Buffer.from(`m${i}`)))!;
        await q.deadLetter(id, { jobName, reason: 'permanent_error', error: `e${i}` });
        ids.push(id);
        moved.push(env.clock.now());
        env.clock.advance(1_000);
      }
      const theirs = (await other.send(Buffer.from('theirs')))!;
      await other.deadLetter(theirs, { jobName: 'a', reason: 'permanent_error', error: 'x' });

      const listed = async (filter?: Parameters<typeof q.deadLetters>[0]) => (await q.deadLetters(filter)).map((d) => d.id);
      expect(await listed()).toEqual(ids);
      expect(await listed({ jobName: 'a' })).toEqual([ids[0], ids[2]]);
      expect(await listed({ ids: [ids[3]!, ids[1]!, theirs] })).toEqual([ids[1], ids[3]]);
      expect(await listed({ ids: [] })).toEqual([]);
      expect(await listed({ movedBefore: new Date(moved[2]!) })).toEqual([ids[0], ids[1]]);
      expect(await listed({ limit: 2 })).toEqual([ids[0], ids[1]]);
      expect(await listed({ jobName: 'a', movedBefore: new Date(moved[3]!), limit: 1 })).toEqual([ids[0]]);
      await expect(q.deadLetters({ limit: 0 })).rejects.toThrow('filter.limit must be an integer >= 1');
      await expect(q.deadLetters({ movedBefore: new Date(Number.NaN) })).rejects.toThrow('filter.movedBefore must be a valid Date');
    });

    it('requeueDead puts dead letters back as fresh messages, keeping id, body and created', async () => {
      const q = open({ visibilityTimeoutMs: 1_000 });
      const id = (await q.send(Buffer.from('retry me')))!;
      await q.receive();
      await q.deadLetter(id, { jobName: 'j', reason: 'permanent_error', error: 'bug' });
      env.clock.advance(10_000);
      const newer = (await q.send(Buffer.from('newer')))!;
      expect(await q.requeueDead()).toBe(1);
      expect(await q.deadLetters()).toEqual([]);
      // Its old created time puts it before the newer message.
      expect(await q.receiveMany(2)).toEqual([
        { id, body: Buffer.from('retry me'), received: 1 },
        { id: newer, body: Buffer.from('newer'), received: 1 },
      ]);
    });

    it('requeueDead and purgeDead act on the filtered dead letters only and count them', async () => {
      const q = open();
      const ids: string[] = [];
      for (const jobName of ['keep', 'requeue', 'purge', 'purge']) {
        const id = (await q.send(Buffer.from(jobName)))!;
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

  it('stats counts each state, the dead letters and the age of the oldest message', async () => {
    const q = open({ maxDeliveries: 1, visibilityTimeoutMs: 10_000 });
    expect(await q.stats()).toEqual({ queue: q.name, ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0, oldestAgeMs: 0 });
    await q.send(Buffer.from('exhausted'));
    await q.receive();
    env.clock.advance(10_000);
    await q.send(Buffer.from('in flight'));
    await q.receive();
    const dead = (await q.send(Buffer.from('dead')))!;
    await q.deadLetter(dead, { jobName: 'j', reason: 'permanent_error', error: 'e' });
    await q.send(Buffer.from('delayed'), { delayMs: 60_000 });
    await q.sendMany([Buffer.from('ready'), Buffer.from('ready')]);
    env.clock.advance(500);
    expect(await q.stats()).toEqual({ queue: q.name, ready: 2, inFlight: 1, delayed: 1, exhausted: 1, dead: 1, oldestAgeMs: 10_500 });
  });

  it('keeps 0-byte, all-256-byte-value and 1 MiB bodies byte for byte', async () => {
    const q = open();
    const bodies = [Buffer.alloc(0), ALL_BYTES, patterned(1024 * 1024)];
    for (const body of bodies) await q.send(body);
    await q.sendMany(bodies);
    const expected = [...bodies, ...bodies].map(fingerprint);
    const received = await q.receiveMany(10);
    expect(received.map((m) => fingerprint(m.body))).toEqual(expected);
    for (const m of received) await q.deadLetter(m.id, { jobName: 'bytes', reason: 'permanent_error', error: 'e' });
    expect((await q.deadLetters()).map((d) => fingerprint(d.body))).toEqual(expected);
    expect(await q.requeueDead()).toBe(6);
    expect((await q.receiveMany(10)).map((m) => fingerprint(m.body))).toEqual(expected);
  });

  it('treats queue and job names with quotes, backslashes, unicode, SQL and LIKE wildcards as plain data', async () => {
    const queues = HOSTILE_NAMES.map((name) => open(undefined, `${name}-${freshName()}`));
    const exact = HOSTILE_NAMES.map((name) => env.dbs.replicator.queue(name));
    for (const q of [...queues, ...exact]) await q.send(Buffer.from(q.name));
    for (const q of [...queues, ...exact]) {
      expect((await q.stats()).ready).toBe(1);
      const m = await q.receive();
      expect(text(m?.body)).toBe(q.name);
      await q.deadLetter(m!.id, { jobName: q.name, reason: 'permanent_error', error: q.name });
    }
    for (const q of exact) {
      const dead = await q.deadLetters({ jobName: q.name });
      expect(dead.map((d) => [d.queue, d.jobName, d.error])).toEqual([[q.name, q.name, q.name]]);
    }
    expect(await exact[4]!.deadLetters({ jobName: '_' })).toEqual([]);
    const deadQueues = (await tableRows(env.dbs.replicator, 'jobqueueDead')).map((r) => r.queue as string);
    for (const name of HOSTILE_NAMES) expect(deadQueues.filter((queue) => queue === name)).toEqual([name]);
  });
});

describe('plain queue storage formats [sqlite]', () => {
  const env = useInstallation('sqlite');
  const client = () => (env.dbs.replicator.connection as SqliteStoreConnection).client;

  it("writes Piri's fixed-width UTC text timestamps from the injected clock", async () => {
    const q = env.dbs.replicator.queue(freshName());
    const sent = env.clock.now();
    const id = (await q.send(Buffer.from('x'), { delayMs: 1_500 }))!;
    const live = client()
      .prepare(`SELECT typeof(created) AS type, created, updated, timeout, typeof(received) AS counter FROM jobqueue WHERE id = ?`)
      .get(id);
    expect(live).toEqual({
      type: 'text',
      created: new Date(sent).toISOString(),
      updated: new Date(sent).toISOString(),
      timeout: new Date(sent + 1_500).toISOString(),
      counter: 'integer',
    });
    env.clock.advance(2_000);
    await q.deadLetter(id, { jobName: 'j', reason: 'permanent_error', error: 'e' });
    const row = client()
      .prepare(`SELECT typeof(created) AS type, created, timeout, moved_at AS movedAt FROM jobqueue_dead WHERE id = ?`)
      .get(id) as { type: string; created: string; timeout: string; movedAt: string };
    expect(row).toEqual({
      type: 'text',
      created: new Date(sent).toISOString(),
      timeout: new Date(sent + 1_500).toISOString(),
      movedAt: new Date(sent + 2_000).toISOString(),
    });
    expect(row.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("reads rows Piri wrote (column defaults, Go's time format) and claims in created order before id", async () => {
    const q = env.dbs.replicator.queue(freshName());
    const ours = (await q.send(Buffer.from('ours')))!;
    const now = new Date(env.clock.now()).toISOString();
    const older = new Date(env.clock.now() - 1).toISOString();
    // Piri's send: id, created and updated from the column defaults; a Piri row with an older created time and an id
    // that sorts after ours.
    client().prepare(`INSERT INTO jobqueue (queue, body, timeout) VALUES (?, ?, ?)`).run(q.name, Buffer.from('piri default'), now);
    client()
      .prepare(`INSERT INTO jobqueue (id, created, updated, queue, body, timeout) VALUES (?, ?, ?, ?, ?, ?)`)
      .run('m_ffffffffffffffffffffffffffffffff', older, older, q.name, Buffer.from('piri older'), now);
    const received = await q.receiveMany(10);
    const order = received.map((m) => text(m.body));
    // The default `created` is the wall clock, so that row's place is not certain; the others' is.
    expect([...order].sort()).toEqual(['ours', 'piri default', 'piri older']);
    expect(order.indexOf('piri older')).toBe(order.indexOf('ours') - 1);
    expect(received.find((m) => text(m.body) === 'ours')?.id).toBe(ours);
    expect(received.find((m) => text(m.body) === 'piri default')?.id).toMatch(/^m_[0-9a-f]{32}$/);
  });

  it("leaves rows Piri's own receive statement can claim", async () => {
    const q = env.dbs.replicator.queue(freshName(), { visibilityTimeoutMs: 5_000 });
    const id = (await q.send(Buffer.from('for piri')))!;
    const goNow = new Date(env.clock.now()).toISOString();
    const claimed = client()
      .prepare(
        `UPDATE jobqueue SET timeout = ?, received = received + 1
         WHERE id = (SELECT id FROM jobqueue WHERE queue = ? AND ? >= timeout AND received < ? ORDER BY created LIMIT 1)
         RETURNING id, body, received`,
      )
      .get(new Date(env.clock.now() + 5_000).toISOString(), q.name, goNow, 10);
    expect(claimed).toEqual({ id, body: Buffer.from('for piri'), received: 1 });
    expect(await q.receive()).toBeUndefined();
  });
});

describe('plain queue storage formats [postgres]', () => {
  const env = useInstallation('postgres');
  const sql = () => (env.dbs.replicator.connection as PostgresStoreConnection).client;

  it('writes timestamptz values from the injected clock', async () => {
    const q = env.dbs.replicator.queue(freshName());
    const sent = env.clock.now();
    const id = (await q.send(Buffer.from('x'), { delayMs: 1_500 }))!;
    const [row] = await sql().unsafe(
      `SELECT pg_typeof(created)::text AS type, (EXTRACT(EPOCH FROM created) * 1000)::float8 AS created,
              (EXTRACT(EPOCH FROM timeout) * 1000)::float8 AS timeout FROM replicator.jobqueue WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({ type: 'timestamp with time zone', created: sent, timeout: sent + 1_500 });
  });

  it("reads rows Piri wrote (column defaults, a local-offset timeout) and claims in created order before id", async () => {
    const q = env.dbs.replicator.queue(freshName());
    const ours = (await q.send(Buffer.from('ours')))!;
    // Go's format in a process at UTC+2, the same instant as the clock's now.
    const local = new Date(env.clock.now() + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    await sql().unsafe(`INSERT INTO replicator.jobqueue (queue, body, timeout) VALUES ($1, $2, $3::timestamptz)`, [q.name, Buffer.from('piri default'), local]);
    await sql().unsafe(
      `INSERT INTO replicator.jobqueue (id, created, updated, queue, body, timeout)
       VALUES ('m_ffffffffffffffffffffffffffffffff', $1::timestamptz - INTERVAL '1 millisecond', $1::timestamptz, $2, $3, $1::timestamptz)`,
      [local, q.name, Buffer.from('piri older')],
    );
    const received = await q.receiveMany(10);
    const order = received.map((m) => text(m.body));
    // The default `created` is the server's clock, so that row's place is not certain; the others' is.
    expect([...order].sort()).toEqual(['ours', 'piri default', 'piri older']);
    expect(order.indexOf('piri older')).toBe(order.indexOf('ours') - 1);
    expect(received.find((m) => text(m.body) === 'ours')?.id).toBe(ours);
  });

  it("leaves rows Piri's own receive statement can claim", async () => {
    const q = env.dbs.replicator.queue(freshName(), { visibilityTimeoutMs: 5_000 });
    const id = (await q.send(Buffer.from('for piri')))!;
    const goNow = new Date(env.clock.now()).toISOString();
    const claimed = await sql().unsafe(
      `UPDATE replicator.jobqueue SET timeout = $1::timestamptz, received = received + 1
       WHERE id = (SELECT id FROM replicator.jobqueue WHERE queue = $2 AND $3::timestamptz >= timeout AND received < $4 ORDER BY created LIMIT 1)
       RETURNING id, body, received`,
      [new Date(env.clock.now() + 5_000).toISOString(), q.name, goNow, 10],
    );
    expect([...claimed]).toEqual([{ id, body: Buffer.from('for piri'), received: 1 }]);
    expect(await q.receive()).toBeUndefined();
  });
});
