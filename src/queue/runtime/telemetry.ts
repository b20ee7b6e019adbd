/**
 * OpenTelemetry for the job queue, through `@opentelemetry/api`, an optional peer dependency: without it every call
 * here runs the work and nothing else. Tracers and meters are taken when a job queue is created, so register the SDK
 * before creating job queues: a queue created with no tracer provider registered starts no spans at all, since even
 * the API's no-op spans cost a third of the SQLite runtime's throughput (docs/benchmarks.md).
 *
 * Traces follow the messaging semantic conventions: `send <queue>` (PRODUCER) around enqueue, whose W3C context
 * travels in the envelope's trace field (Piri's format, only when the span is sampled or recording: an envelope
 * without an SDK stays as it was), and `process <queue>` (CONSUMER) around the handler, linked to that context; the
 * handler runs inside the process span, so its own spans are children of it.
 *
 * Metrics: messaging.client.sent.messages, messaging.client.consumed.messages (per claim), messaging.process.duration
 * (s, with error.type on failure), and two gauges read from the queue's stats at each collection:
 * piri_db.queue.depth (ready messages) and piri_db.queue.oldest_message.age (s, the oldest live message).
 */
import type * as Otel from '@opentelemetry/api';
import type { EnvelopeTrace } from '../envelope.ts';
import type { QueueStats, ReceivedMessage } from '../types.ts';

const api: typeof Otel | undefined = await import('@opentelemetry/api').catch(() => undefined);

const SYSTEM = 'piri-db';
const SCOPE = 'piri-db';

export interface QueueTelemetry {
  /** Runs an enqueue in its producer span; `run` gets the trace to store (the caller's own `given` wins). */
  send(jobName: string, given: EnvelopeTrace | undefined, run: (trace: EnvelopeTrace | undefined) => Promise<string | undefined>): Promise<string | undefined>;
  /** Runs a handler in its consumer span (when tracing: otherwise just runs it); rethrows what the handler throws. */
  process(jobName: string, message: ReceivedMessage, trace: EnvelopeTrace | undefined, run: () => void | Promise<void>): void | Promise<void>;
  /** Records a handler's duration, with the error it threw if it failed. */
  processed(durationMs: number, error?: unknown): void;
  consumed(messages: number): void;
  /** Observes the queue's depth and age from `stats` at each metrics collection, until the returned stop runs. */
  observe(stats: () => Promise<QueueStats>): () => void;
}

const passThrough: QueueTelemetry = {
  send: (_jobName, given, run) => run(given),
  process: (_jobName, _message, _trace, run) => run(),
  processed: () => {},
  consumed: () => {},
  observe: () => () => {},
};

export function queueTelemetry(queue: string): QueueTelemetry {
  if (api === undefined) return passThrough;
  const otel = api;
  const tracer = otel.trace.getTracer(SCOPE);
  // With no provider registered the API hands out a proxy that would start no-op spans.
  const tracing = !(tracer instanceof otel.ProxyTracer);
  const meter = otel.metrics.getMeter(SCOPE);
  const destination = { 'messaging.system': SYSTEM, 'messaging.destination.name': queue };
  const sending = { ...destination, 'messaging.operation.name': 'send', 'messaging.operation.type': 'send' };
  const processing = { ...destination, 'messaging.operation.name': 'process', 'messaging.operation.type': 'process' };
  const sent = meter.createCounter('messaging.client.sent.messages', { unit: '{message}', description: 'Messages sent' });
  const consumed = meter.createCounter('messaging.client.consumed.messages', { unit: '{message}', description: 'Messages claimed' });
  const duration = meter.createHistogram('messaging.process.duration', { unit: 's', description: 'Handler duration' });
  const depth = meter.createObservableGauge('piri_db.queue.depth', { unit: '{message}', description: 'Messages ready to claim' });
  const age = meter.createObservableGauge('piri_db.queue.oldest_message.age', { unit: 's', description: 'Age of the oldest live message' });

  return {
    async send(jobName, given, run) {
      if (!tracing) {
        const id = await run(given);
        sent.add(1, sending);
        return id;
      }
      return tracer.startActiveSpan(`send ${queue}`, { kind: otel.SpanKind.PRODUCER, attributes: { ...sending, 'piri_db.job.name': jobName } }, async (span) => {
        try {
          const id = await run(given ?? traceOf(otel, span.spanContext()));
          if (id !== undefined) span.setAttribute('messaging.message.id', id);
          sent.add(1, sending);
          return id;
        } catch (error) {
          failed(otel, span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    },

    process(jobName, message, trace, run) {
      if (!tracing) return run();
      const links = trace === undefined ? [] : [{ context: contextOf(otel, trace) }];
      const attributes = { ...processing, 'messaging.message.id': message.id, 'piri_db.job.name': jobName, 'piri_db.delivery': message.received };
      return tracer.startActiveSpan(`process ${queue}`, { kind: otel.SpanKind.CONSUMER, links, attributes }, async (span) => {
        try {
          return await run();
        } catch (error) {
          failed(otel, span, error);
          throw error;
        } finally {
          span.end();
        }
      });
    },

    processed(durationMs, error) {
      duration.record(durationMs / 1000, error === undefined ? processing : { ...processing, 'error.type': errorType(error) });
    },

    consumed(messages) {
      consumed.add(messages, processing);
    },

    observe(stats) {
      const callback: Otel.BatchObservableCallback = async (result) => {
        const s = await stats();
        result.observe(depth, s.ready, destination);
        result.observe(age, s.oldestAgeMs / 1000, destination);
      };
      meter.addBatchObservableCallback(callback, [depth, age]);
      return () => meter.removeBatchObservableCallback(callback, [depth, age]);
    },
  };
}

/** The span's context as Piri's envelope trace; undefined for a span that is not recorded (no SDK, not sampled). */
function traceOf(otel: typeof Otel, context: Otel.SpanContext): EnvelopeTrace | undefined {
  if (!otel.isSpanContextValid(context)) return undefined;
  const traceState = context.traceState?.serialize();
  return { traceId: context.traceId, spanId: context.spanId, traceFlags: context.traceFlags, ...(traceState ? { traceState } : {}) };
}

function contextOf(otel: typeof Otel, trace: EnvelopeTrace): Otel.SpanContext {
  return {
    traceId: trace.traceId,
    spanId: trace.spanId,
    traceFlags: trace.traceFlags ?? 0,
    isRemote: true,
    ...(trace.traceState ? { traceState: otel.createTraceState(trace.traceState) } : {}),
  };
}

function failed(otel: typeof Otel, span: Otel.Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.setAttribute('error.type', errorType(error));
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
