/**
 * Shared by the scheduler tests: a fresh installation per test on either backend, typed table reads and writes
 * through the store's drizzle instance (only while no engine is mid-transaction: on SQLite they bypass the
 * scheduler mutex), engines that are stopped before the installation closes, and small promise helpers.
 */
import type { InferInsertModel, InferSelectModel, Table } from 'drizzle-orm';
import { onTestFinished } from 'vitest';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import type { Config } from '../../src/config/load.ts';
import { ManualClock } from '../../src/clock.ts';
import { schedulerSql } from '../../src/scheduler/sql/index.ts';
import type { SchedulerSql } from '../../src/scheduler/sql/types.ts';
import { TaskEngine, type TaskEngineEvent, type TaskEngineOptions } from '../../src/scheduler/task-engine.ts';
import { openDatabases, type Store } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { freshConfig } from '../support/installations.ts';

type Tables = {
  [K in keyof typeof sqliteScheduler as (typeof sqliteScheduler)[K] extends Table ? K : never]: (typeof sqliteScheduler)[K];
};
export type TableName = keyof Tables;
export type RowOf<K extends TableName> = InferSelectModel<Tables[K]>;
export type NewRowOf<K extends TableName> = InferInsertModel<Tables[K]>;

export const START = Date.UTC(2026, 0, 1);

export interface Harness {
  readonly backend: Dialect;
  readonly config: Config;
  readonly store: Store<'scheduler'>;
  readonly sql: SchedulerSql;
  readonly clock: ManualClock;
  /** Every event of every engine made here, in order. */
  readonly events: (TaskEngineEvent & { engine: TaskEngine })[];
  /** A new engine on the harness clock (override anything); stopped (timeout 0) when the test ends. */
  engine(options?: TaskEngineOptions): TaskEngine;
  selectAll<K extends TableName>(table: K): Promise<RowOf<K>[]>;
  insert<K extends TableName>(table: K, rows: NewRowOf<K>[]): Promise<void>;
  /** Raw SQL, for what the typed helpers cannot say; `?` placeholders on both backends, tables unqualified. */
  raw(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

export async function harness(backend: Dialect): Promise<Harness> {
  const config = await freshConfig(backend);
  const dbs = await openDatabases(config);
  const store = dbs.scheduler;
  const clock = new ManualClock(START);
  const engines: TaskEngine[] = [];
  const events: Harness['events'] = [];
  onTestFinished(async () => {
    await Promise.allSettled(engines.map((e) => e.stop({ timeoutMs: 0 })));
    await dbs.close();
  });
  const tables = (backend === 'sqlite' ? sqliteScheduler : pgScheduler) as unknown as Record<string, Table>;
  const db = store.db as any;
  return {
    backend,
    config,
    store,
    sql: schedulerSql(store),
    clock,
    events,
    engine(options = {}) {
      const engine: TaskEngine = new TaskEngine(store, {
        clock,
        lockRetry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
        ...options,
        onEvent: (event) => {
          events.push({ ...event, engine });
          options.onEvent?.(event);
        },
      });
      engines.push(engine);
      return engine;
    },
    async selectAll(table) {
      const query = db.select().from(tables[table]);
      return backend === 'sqlite' ? query.all() : await query;
    },
    async insert(table, rows) {
      const query = db.insert(tables[table]).values(rows);
      if (backend === 'sqlite') query.run();
      else await query;
    },
    async raw(text, params = []) {
      if (store.connection.dialect === 'sqlite') {
        const statement = store.connection.client.prepare(text);
        return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), []);
      }
      let i = 0;
      const schema = store.connection.schema;
      const pgText = text
        .replace(/\?/g, () => `$${++i}`)
        .replace(/\b(FROM|INTO|UPDATE|JOIN)\s+([a-z_]+)\b/gi, (_, kw: string, name: string) => `${kw} "${schema}"."${name}"`);
      return [...(await store.connection.client.unsafe(pgText, params as never[]))];
    },
  };
}

/** A task row as Piri's AddTask writes it, with overrides. */
export function taskRow(overrides: Partial<NewRowOf<'task'>> = {}): NewRowOf<'task'> {
  return {
    postedTime: new Date(START),
    updateTime: new Date(START),
    addedBy: 'test',
    name: 'work',
    retries: 0,
    sessionId: null,
    ...overrides,
  };
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves once `predicate` holds for an event already seen or seen later. */
export function eventSeen<E extends TaskEngineEvent>(h: Harness, predicate: (e: TaskEngineEvent) => e is E): Promise<E>;
export function eventSeen(h: Harness, predicate: (e: TaskEngineEvent) => boolean): Promise<TaskEngineEvent>;
export async function eventSeen(h: Harness, predicate: (e: TaskEngineEvent) => boolean): Promise<TaskEngineEvent> {
  for (;;) {
    const found = h.events.find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const byId = <T extends { id: number }>(rows: T[]) => [...rows].sort((a, b) => a.id - b.id);
