/**
 * Queue tests share one installation per describe block (opening one costs a migration run); each test takes
 * fresh queue names, so tests never see each other's messages. Time comes from a ManualClock.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { postgresSchemas } from '../../src/backend/postgres/schemas.ts';
import { sqliteSchemas } from '../../src/backend/sqlite/schemas.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { type Databases, openDatabases, type Store } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { freshConfig } from './installations.ts';

export interface QueueInstallation {
  readonly config: Config;
  readonly clock: ManualClock;
  readonly dbs: Databases;
}

/** Opens a fresh installation before the block's tests and closes it after them. */
export function useInstallation(backend: Dialect): QueueInstallation {
  const state = {} as { config: Config; clock: ManualClock; dbs: Databases };
  beforeAll(async () => {
    state.config = await freshConfig(backend);
    state.clock = new ManualClock();
    state.dbs = await openDatabases(state.config, { clock: state.clock });
  });
  afterAll(() => state.dbs?.close());
  return state;
}

/**
 * Overwrites a dead letter's stored body behind the queue's back: for bodies no send writes any more (over
 * MAX_BODY_BYTES) that an installation may hold all the same (written by Piri, or before the limit).
 */
export async function overwriteDeadBody(store: Store, id: string, body: Buffer): Promise<void> {
  const schemas = store.connection.dialect === 'sqlite' ? sqliteSchemas : postgresSchemas;
  const tables = schemas[store.name] as Record<string, any>;
  const [table, key] = /^m_/.test(id) ? [tables.jobqueueDead, id] : [tables.jobDead, Number(id)];
  const updated = await (store.db as any).update(table).set({ body }).where(eq(table.id, key)).returning({ id: table.id });
  if (updated.length !== 1) throw new Error(`no dead letter ${id} in ${store.name}`);
}

let names = 0;

/** A queue name no other test uses. */
export function freshName(prefix = 'q'): string {
  names += 1;
  return `${prefix}-${names}`;
}

type QueueTable = 'jobqueue' | 'jobqueueDead' | 'queues' | 'jobNs' | 'jobs' | 'jobDone' | 'jobDead';

/** Every row of one of a store's queue tables, read through drizzle's typed columns (camelCase keys). */
export async function tableRows(store: Store, table: QueueTable): Promise<Record<string, any>[]> {
  const schemas = store.connection.dialect === 'sqlite' ? sqliteSchemas : postgresSchemas;
  const tables = schemas[store.name] as Record<string, unknown>;
  // The union of the two drizzle types cannot pick an overload; application code casts the same way.
  return (store.db as any).select().from(tables[table]);
}

/** n bytes that are not all the same, so a truncated or shifted copy does not compare equal. */
export function patterned(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  return bytes;
}

/** Length and SHA-256 of some bytes: compares megabytes byte for byte without a slow element-wise diff. */
export function fingerprint(bytes: Uint8Array): string {
  return `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Every byte value 0..255 once. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** Names that break naive SQL, LIKE patterns or encodings if treated as anything but data. */
export const HOSTILE_NAMES = [
  `it's "quoted"`,
  'back\\slash\\',
  'ünïcödé ✓ 😀',
  "'; DROP TABLE jobqueue; --",
  '%',
  '_',
  'a_c',
  'abc',
] as const;
