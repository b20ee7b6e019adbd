/**
 * Observability on both backends: the job queue's events, and OpenTelemetry through the SDK's in-memory exporters
 * (registered before the queues are created, as an application would). Every processed job has a `process <queue>`
 * span linked to the `send <queue>` span of its enqueue, whose context travelled in the envelope's trace field; the
 * metrics count what was sent, claimed and processed, and the gauges read the queue's depth.
 */
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type DataPoint, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { decode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueueEvents, PermanentError } from '../../src/queue/runtime/index.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { waitFor } from '../faults/support/wait.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { freshName, tableRows } from '../support/queues.ts';

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new TestReader();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

const quiet = { warn: () => {}, error: () => {} };
const fast = { pollIntervalMs: 20, backoff: { baseMs: 20, factor: 1, maxMs: 20, jitter: 0 }, logger: quiet };

async function metric(name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

const pointFor = (data: MetricData | undefined, queue: string) =>
  (data?.dataPoints as DataPoint<unknown>[] | undefined)?.find((p) => p.attributes['messaging.destination.name'] === queue);

forEachBackend('observability', (backend) => {
  let dbs: Databases;
  beforeAll(async () => {
    dbs = await openDatabases(await freshConfig(backend), { clock: systemClock });
  });
  afterAll(() => dbs?.close());

  it('links every process span to the send span of its enqueue, through the envelope', async () => {
    const name = freshName('otel');
    const queue = createJobQueue(dbs.replicator.queue(name), fast);
    let calls = 0;
    let read: () => void = () => {};
    const stored = new Promise<void>((resolve) => (read = resolve));
    queue.register('job', async (payload) => {
      // The first job's row stays until the test has read its envelope.
      if (payload.toString() === 'a') await stored;
      if (payload.toString() === 'flaky' && ++calls === 1) throw new Error('first delivery fails');
    });
    queue.start();
    const ids: (string | undefined)[] = [];
    for (const payload of ['a', 'b', 'c', 'flaky']) ids.push(await queue.enqueue('job', Buffer.from(payload)));
    const row = (await tableRows(dbs.replicator, 'jobqueue')).find((r) => r.id === ids[0]);
    read();
    await waitFor('every job to succeed', () => spans.getFinishedSpans().filter((s) => s.name === `process ${name}` && s.status.code !== SpanStatusCode.ERROR).length === 4);
    await queue.stop();

    const sends = spans.getFinishedSpans().filter((s) => s.name === `send ${name}`);
    const processes = spans.getFinishedSpans().filter((s) => s.name === `process ${name}`);
    expect(sends).toHaveLength(4);
    expect(sends.every((s) => s.kind === SpanKind.PRODUCER)).toBe(true);
    expect(sends.map((s) => s.attributes['messaging.message.id'])).toEqual(ids);
    // The first envelope carries its send span's context, in Piri's trace field.
    expect(decode(row!.body).trace).toMatchObject({ traceId: sends[0]!.spanContext().traceId, spanId: sends[0]!.spanContext().spanId });

    expect(processes).toHaveLength(5);
    for (const span of processes) {
      expect(span.kind).toBe(SpanKind.CONSUMER);
      expect(span.attributes).toMatchObject({
        'messaging.system': 'piri-db',
        'messaging.operation.type': 'process',
        'messaging.destination.name': name,
      });
      const send = sends.find((s) => s.attributes['messaging.message.id'] === span.attributes['messaging.message.id']);
      expect(span.links.map((l) => l.context.spanId)).toEqual([send!.spanContext().spanId]);
      expect(span.links[0]!.context.traceId).toBe(send!.spanContext().traceId);
    }
    const failed = processes.filter((s) => s.status.code === SpanStatusCode.ERROR);
    expect(failed.map((s) => s.attributes['piri_db.delivery'])).toEqual([1]);
  });

  it('counts sent, consumed and processed messages, and reads the depth of the queue', async () => {
    const name = freshName('metrics');
    const queue = createJobQueue(dbs.replicator.queue(name), fast);
    let handled = 0;
    queue.register('job', () => {
      handled++;
    });
    queue.start();
    for (let i = 0; i < 3; i++) await queue.enqueue('job', Buffer.from(`m${i}`));
    await dbs.replicator.queue(name).send(Buffer.from('not an envelope'), { delayMs: 3_600_000 });
    await waitFor('three jobs', () => handled === 3);

    expect(pointFor(await metric('messaging.client.sent.messages'), name)?.value).toBe(3);
    expect(pointFor(await metric('messaging.client.consumed.messages'), name)?.value).toBe(3);
    expect((pointFor(await metric('messaging.process.duration'), name)?.value as { count: number }).count).toBe(3);
    await waitFor('the completions', async () => (await dbs.replicator.queue(name).stats()).ready + (await dbs.replicator.queue(name).stats()).inFlight === 0);
    expect(pointFor(await metric('piri_db.queue.depth'), name)?.value).toBe(0);
    expect(pointFor(await metric('piri_db.queue.oldest_message.age'), name)?.value).toBeGreaterThanOrEqual(0);
    await queue.stop();
  });

  describe('events', () => {
    it('reports claims, starts, outcomes, retries, dead letters and the stop, and survives a listener that throws', async () => {
      const name = freshName('events');
      const queue = createJobQueue(dbs.replicator.queue(name), fast);
      const seen: [keyof JobQueueEvents, unknown][] = [];
      for (const event of ['claimed', 'started', 'succeeded', 'failed', 'retried', 'deadLettered', 'stopped'] as const) {
        queue.on(event, (data) => seen.push([event, data]));
      }
      const unsubscribe = queue.on('started', () => {
        throw new Error('a broken listener');
      });
      let flaky = 0;
      queue.register('job', (payload) => {
        const text = payload.toString();
        if (text === 'poison') throw new PermanentError('never');
        if (text === 'flaky' && ++flaky === 1) throw new Error('once');
      });
      queue.start();
      const ok = await queue.enqueue('job', Buffer.from('ok'));
      const poison = await queue.enqueue('job', Buffer.from('poison'));
      const retried = await queue.enqueue('job', Buffer.from('flaky'));
      await waitFor('the outcomes', () => seen.filter(([e]) => e === 'succeeded').length === 2 && seen.some(([e]) => e === 'deadLettered'));
      unsubscribe();
      await queue.stop();

      const of = (event: keyof JobQueueEvents, id: string | undefined) =>
        seen.filter(([e, data]) => e === event && (data as { messageId?: string }).messageId === id).map(([, data]) => data);
      expect(of('succeeded', ok)).toEqual([expect.objectContaining({ queue: name, jobName: 'job', delivery: 1, durationMs: expect.any(Number) })]);
      expect(of('deadLettered', poison)).toEqual([expect.objectContaining({ reason: 'permanent_error', error: 'never', delivery: 1 })]);
      expect(of('failed', retried)).toEqual([expect.objectContaining({ delivery: 1, error: 'once' })]);
      expect(of('retried', retried)).toEqual([expect.objectContaining({ delivery: 1, delayMs: 20 })]);
      expect(of('succeeded', retried)).toEqual([expect.objectContaining({ delivery: 2 })]);
      expect(of('started', retried)).toHaveLength(2);
      const claimed = seen.filter(([e]) => e === 'claimed').reduce((n, [, data]) => n + (data as { messages: number }).messages, 0);
      expect(claimed).toBe(4);
      expect(seen.at(-1)).toEqual(['stopped', { queue: name, abandoned: 0 }]);
    });

    it('reports a lease lost when the message it renews is gone', async () => {
      const name = freshName('lease');
      const store = dbs.replicator.queue(name, { visibilityTimeoutMs: 2_000 });
      const queue = createJobQueue(store, { ...fast, extendIntervalMs: 50 });
      const lost: string[] = [];
      queue.on('leaseLost', ({ messageId }) => lost.push(messageId));
      let release: () => void = () => {};
      queue.register('job', () => new Promise<void>((resolve) => (release = resolve)));
      queue.start();
      const id = await queue.enqueue('job', Buffer.from('held'));
      await waitFor('the job to run', async () => (await store.stats()).inFlight === 1);
      await store.delete(id!);
      await waitFor('the lost lease', () => lost.includes(id!));
      release();
      await queue.stop();
    });
  });
});
