/**
 * A queue's settings: Piri's for its queue names (the registry, data-model §4.8), library defaults for any other
 * name, then the caller's overrides, checked.
 */
import { QueueError } from '../errors.ts';
import { type QueueDefinition, type StoreDefinition, STORES } from '../catalog/registry.ts';
import { invalidArgument } from './arguments.ts';
import type { DedupeSettings, DedupQueueSettings, QueueSettings } from './types.ts';

/** goqite's defaults, which Piri inherits for queues it does not configure. */
export const DEFAULT_QUEUE_SETTINGS: QueueSettings = Object.freeze({ visibilityTimeoutMs: 5_000, maxDeliveries: 3 });
/** The largest maxDeliveries: jobqueue.received and jobs.attempts are `integer` (int4) columns on Postgres. */
export const MAX_DELIVERIES = 2_147_483_647;
/**
 * The longest visibility window, 100 years: every receive and extend puts a deadline now + the window, which must
 * fall before LATEST_TIME_MS (9999-12-31); a longer window was accepted here and then made every receive throw.
 */
export const MAX_VISIBILITY_TIMEOUT_MS = 36_525 * 86_400_000;
/** Piri's dedup queue defaults (data-model §4.5). */
export const DEFAULT_DEDUPE: DedupeSettings = Object.freeze({ enabled: true, blockRepeatsAfterDeadLetter: true });

/**
 * Per-call overrides of a plain queue's settings (Store.queue); what is not given keeps Piri's value for that queue
 * name.
 */
export type QueueOverrides = Partial<QueueSettings>;
/** Per-call overrides of a dedup queue's settings (Store.dedupQueue), including either dedupe option alone. */
export type DedupQueueOverrides = Partial<QueueSettings> & { readonly dedupe?: Partial<DedupeSettings> };

type QueueKind = QueueDefinition['kind'];

export function plainQueueSettings(store: StoreDefinition, name: string, overrides: QueueOverrides = {}): QueueSettings {
  const definition = registered(store, name, 'plain');
  return Object.freeze(checked({ ...DEFAULT_QUEUE_SETTINGS, ...pickSettings(definition), ...given(overrides) }));
}

export function dedupQueueSettings(store: StoreDefinition, name: string, overrides: DedupQueueOverrides = {}): DedupQueueSettings {
  const definition = registered(store, name, 'dedup');
  const { enabled, blockRepeatsAfterDeadLetter } = { ...DEFAULT_DEDUPE, ...definition?.dedupe, ...given(overrides.dedupe ?? {}) };
  const dedupe = Object.freeze({ enabled, blockRepeatsAfterDeadLetter });
  for (const key of ['enabled', 'blockRepeatsAfterDeadLetter'] as const) {
    if (typeof dedupe[key] !== 'boolean') throw invalidArgument(`overrides.dedupe.${key} must be a boolean, got ${String(dedupe[key])}`);
  }
  const settings = checked({ ...DEFAULT_QUEUE_SETTINGS, ...pickSettings(definition), ...given(overrides) });
  return Object.freeze({ ...settings, dedupe });
}

/**
 * The registry's entry for `name` in `store`, if any. A store holds a kind's tables exactly when the registry
 * lists a queue of that kind in it (the scheduler holds none, only the aggregator holds the dedup tables).
 */
function registered(store: StoreDefinition, name: string, kind: QueueKind): QueueDefinition | undefined {
  const holds = (s: StoreDefinition) => s.queues.some((q) => q.kind === kind);
  if (!holds(store)) {
    const holders = STORES.filter(holds).map((s) => s.name);
    throw new QueueError('QUEUE_UNAVAILABLE', `store ${store.name} has no ${kind} queue tables (stores that have them: ${holders.join(', ')})`);
  }
  const definition = store.queues.find((q) => q.name === name);
  if (definition !== undefined && definition.kind !== kind) {
    const opener = definition.kind === 'dedup' ? 'dedupQueue' : 'queue';
    throw new QueueError('QUEUE_UNAVAILABLE', `queue ${name} of store ${store.name} is a ${definition.kind} queue: open it with ${opener}()`);
  }
  return definition;
}

function pickSettings(definition: QueueDefinition | undefined): Partial<QueueSettings> {
  return definition === undefined
    ? {}
    : { visibilityTimeoutMs: definition.visibilityTimeoutMs, maxDeliveries: definition.maxDeliveries };
}

/** The overrides actually given: a key present with the value undefined keeps the default. */
function given<T extends object>(overrides: T): Partial<T> {
  const present: Partial<T> = { ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) Reflect.deleteProperty(present, key);
  return present;
}

function checked(settings: QueueSettings): QueueSettings {
  const { visibilityTimeoutMs, maxDeliveries } = settings;
  if (
    typeof visibilityTimeoutMs !== 'number' ||
    !Number.isFinite(visibilityTimeoutMs) ||
    visibilityTimeoutMs <= 0 ||
    visibilityTimeoutMs > MAX_VISIBILITY_TIMEOUT_MS
  ) {
    throw invalidArgument(
      `overrides.visibilityTimeoutMs must be a number of ms > 0 and <= ${MAX_VISIBILITY_TIMEOUT_MS} (100 years), ` +
        `got ${String(visibilityTimeoutMs)}`,
    );
  }
  // The delivery counter is a 32-bit integer column on Postgres: a larger bound would fail every claim there.
  if (typeof maxDeliveries !== 'number' || !Number.isInteger(maxDeliveries) || maxDeliveries < 1 || maxDeliveries > MAX_DELIVERIES) {
    throw invalidArgument(`overrides.maxDeliveries must be an integer >= 1 and <= ${MAX_DELIVERIES}, got ${String(maxDeliveries)}`);
  }
  return { visibilityTimeoutMs, maxDeliveries };
}
