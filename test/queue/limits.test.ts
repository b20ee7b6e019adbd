/**
 * The queue limits (docs/queues.md, "Limits") on both backends: bodies up to MAX_BODY_BYTES and names up to
 * MAX_NAME_BYTES are stored and read back as they were, anything larger is refused before any SQL with a QueueError
 * naming the size and the limit. Before the checks, Postgres failed with raw driver errors where SQLite took the
 * same call (54000 index row size for a name of about 2,700 bytes, ERR_STRING_TOO_LONG for a 256 MiB body).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QueueError } from '../../src/errors.ts';
import { MAX_BODY_BYTES, MAX_NAME_BYTES } from '../../src/queue/arguments.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { forEachBackend } from '../support/installations.ts';
import { fingerprint, freshName, patterned, tableRows, useInstallation } from '../support/queues.ts';

const MiB = 1024 * 1024;
/** For the tests that move hundreds of MiB through Postgres: they take tens of seconds on a busy machine. */
const BIG_TIMEOUT_MS = 300_000;

/** `bytes` bytes of `fill` starting with a mark of their own: cheap to make, and no two alike. */
function marked(bytes: number, fill: number): Buffer {
  const body = Buffer.alloc(bytes, fill);
  body.write(`body ${fill}`);
  return body;
}

async function refusal(call: Promise<unknown> | (() => unknown)): Promise<QueueError> {
  const error = await (typeof call === 'function' ? Promise.resolve().then(call) : call).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueueError);
  expect((error as QueueError).code).toBe('INVALID_ARGUMENT');
  return error as QueueError;
}

async function expectNothingQueued(queue: QueueStore): Promise<void> {
  const { ready, inFlight, delayed, exhausted, dead } = await queue.stats();
  expect(ready + inFlight + delayed + exhausted + dead).toBe(0);
}

/** `bytes` UTF-8 bytes of random base64: incompressible, as Postgres would otherwise compress a long index entry. */
function randomName(bytes: number): string {
  return randomBytes(bytes).toString('base64').slice(0, bytes);
}

/** `bytes` UTF-8 bytes of 4-byte characters (bytes divisible by 4). */
function emojiName(bytes: number): string {
  return '\u{1f600}'.repeat(bytes / 4);
}

forEachBackend('queue limits', (backend) => {
  const env = useInstallation(backend);

  describe('message bodies', () => {
    it('takes a body of exactly MAX_BODY_BYTES and refuses a bigger one at send and sendMany, plain and dedup', { timeout: BIG_TIMEOUT_MS }, async () => {
      const overLimit = patterned(MAX_BODY_BYTES + 1);
      const plain = env.dbs.replicator.queue(freshName());
      await plain.send(overLimit.subarray(0, MAX_BODY_BYTES));
      const received = await plain.receive();
      expect(fingerprint(received!.body)).toBe(fingerprint(overLimit.subarray(0, MAX_BODY_BYTES)));
      await plain.delete(received!.id);

      const limit = `over the limit of ${MAX_BODY_BYTES} bytes (128 MiB)`;
      expect((await refusal(plain.send(overLimit))).message).toBe(`body is ${MAX_BODY_BYTES + 1} bytes, ${limit}`);
      expect((await refusal(plain.sendMany([Buffer.from('small'), overLimit]))).message).toBe(`bodies[1] is ${MAX_BODY_BYTES + 1} bytes, ${limit}`);
      await expectNothingQueued(plain);

      // Envelopes of exactly the limit (28 bytes of JSON around the base64) and of 28 bytes more.
      const dedup = env.dbs.aggregator.dedupQueue(freshName());
      const atLimit = encode('job', overLimit.subarray(0, ((MAX_BODY_BYTES - 28) / 4) * 3));
      expect(atLimit.length).toBe(MAX_BODY_BYTES);
      const id = await dedup.send(atLimit);
      const dedupReceived = await dedup.receive();
      expect([dedupReceived?.id, fingerprint(dedupReceived!.body)]).toEqual([id, fingerprint(atLimit)]);
      await dedup.delete(id!);

      const envelope = encode('job', overLimit.subarray(0, (MAX_BODY_BYTES / 4) * 3));
      expect((await refusal(dedup.send(envelope))).message).toBe(`body is ${envelope.length} bytes, ${limit}`);
      expect((await refusal(dedup.sendMany([encode('job', Buffer.from('small')), envelope]))).message).toBe(
        `bodies[1] is ${envelope.length} bytes, ${limit}`,
      );
      await expectNothingQueued(dedup);
    });

    // 264 MiB of bodies in one sendMany is more hex text than a JavaScript string holds: it took several statements.
    it('stores a plain sendMany batch bigger than one Postgres statement carries, whole and in order', { timeout: BIG_TIMEOUT_MS }, async () => {
      const bodies = [0, 1, 2].map((i) => marked(88 * MiB, i));
      const plain = env.dbs.replicator.queue(freshName());
      const ids = await plain.sendMany(bodies);
      const received = await plain.receiveMany(3);
      expect(received.map((m) => m.id)).toEqual(ids);
      expect(received.map((m) => fingerprint(m.body))).toEqual(bodies.map(fingerprint));
    });

    it('queues a dedup key repeated across the statements of a big sendMany once', { timeout: BIG_TIMEOUT_MS }, async () => {
      const [a, b] = [0, 1].map((i) => encode('job', marked(49.5 * MiB, i)));
      const dedup = env.dbs.aggregator.dedupQueue(freshName());
      const ids = await dedup.sendMany([a!, b!, a!, b!]);
      expect(ids[0]).toBeDefined();
      expect(ids[1]).toBeDefined();
      expect(ids.slice(2)).toEqual([undefined, undefined]);
      const received = await dedup.receiveMany(4);
      expect(new Map(received.map((m) => [m.id, fingerprint(m.body)]))).toEqual(
        new Map([
          [ids[0], fingerprint(a!)],
          [ids[1], fingerprint(b!)],
        ]),
      );
    });
  });

  describe('names', () => {
    it('takes queue names of MAX_NAME_BYTES, and refuses one byte more before any SQL', async () => {
      for (const name of [randomName(MAX_NAME_BYTES), emojiName(MAX_NAME_BYTES)]) {
        const plain = env.dbs.replicator.queue(name);
        await plain.send(Buffer.from('to a long name'));
        expect((await plain.receive())?.body.toString()).toBe('to a long name');
        const dedup = env.dbs.aggregator.dedupQueue(name);
        expect(await dedup.send(encode('job', Buffer.from('to a long name')))).toBeDefined();
        expect((await dedup.stats()).ready).toBe(1);
      }
      for (const name of [randomName(MAX_NAME_BYTES + 1), `${emojiName(MAX_NAME_BYTES)}x`]) {
        const message = `queue name is ${MAX_NAME_BYTES + 1} bytes in UTF-8, over the limit of ${MAX_NAME_BYTES} bytes`;
        expect((await refusal(() => env.dbs.replicator.queue(name))).message).toBe(message);
        expect((await refusal(() => env.dbs.aggregator.dedupQueue(name))).message).toBe(message);
      }
      const registered = (await tableRows(env.dbs.aggregator, 'queues')).map((r) => Buffer.byteLength(r.queue));
      expect(Math.max(...registered)).toBe(MAX_NAME_BYTES);
    });

    it("takes a dedup job name of MAX_NAME_BYTES in a queue whose name is as long, and refuses one byte more", async () => {
      for (const jobName of [randomName(MAX_NAME_BYTES), emojiName(MAX_NAME_BYTES)]) {
        const dedup = env.dbs.aggregator.dedupQueue(randomName(MAX_NAME_BYTES));
        const id = await dedup.send(encode(jobName, Buffer.from(jobName)));
        const received = await dedup.receive();
        expect(received?.id).toBe(id);
        await dedup.deadLetter(id!, { jobName, reason: 'permanent_error', error: 'for the filter' });
        expect((await dedup.deadLetters({ jobName })).map((d) => d.id)).toEqual([id]);
        expect(await dedup.requeueDead({ jobName })).toBe(1);
        expect((await dedup.stats()).ready).toBe(1);
      }
      const dedup = env.dbs.aggregator.dedupQueue(freshName());
      const tooLong = encode(randomName(MAX_NAME_BYTES + 1), Buffer.from('x'));
      const limit = `the envelope's job name is ${MAX_NAME_BYTES + 1} bytes in UTF-8, over the limit of ${MAX_NAME_BYTES} bytes`;
      expect((await refusal(dedup.send(tooLong))).message).toBe(`body: ${limit}`);
      expect((await refusal(dedup.sendMany([encode('job', Buffer.from('x')), tooLong]))).message).toBe(`bodies[1]: ${limit}`);
      const namespaces = await tableRows(env.dbs.aggregator, 'jobNs');
      expect(Math.max(...namespaces.map((r) => Buffer.byteLength(r.name)))).toBe(MAX_NAME_BYTES);
      await expectNothingQueued(dedup);
    });

    it('registers runtime job names of MAX_NAME_BYTES, and refuses one byte more, on either kind of queue', async () => {
      const queues = [env.dbs.replicator.queue(freshName()), env.dbs.aggregator.dedupQueue(freshName())];
      for (const queue of queues) {
        const jobs = createJobQueue(queue);
        jobs.register(emojiName(MAX_NAME_BYTES), () => {});
        const message = `job name is ${MAX_NAME_BYTES + 1} bytes in UTF-8, over the limit of ${MAX_NAME_BYTES} bytes`;
        expect((await refusal(() => jobs.register(`${emojiName(MAX_NAME_BYTES)}x`, () => {}))).message).toBe(message);
        jobs.start();
        expect((await refusal(jobs.enqueue(`${emojiName(MAX_NAME_BYTES)}x`, Buffer.from('x')))).message).toBe(message);
        await jobs.stop();
        await expectNothingQueued(queue);
      }
    });
  });
});
