/**
 * The clock and logger given to openDatabases are injected once: a TaskEngine, pdpFlows, pruneScheduler and
 * createJobQueue made from the opened stores (without options of their own) take their times from that clock and
 * log through that logger, and an explicit option still wins. Both backends.
 */
import type { Table } from 'drizzle-orm';
import { expect, it } from 'vitest';
import * as pgScheduler from '../../schema/postgres/scheduler.ts';
import * as sqliteScheduler from '../../schema/sqlite/scheduler.ts';
import { ManualClock } from '../../src/clock.ts';
import { ConfigError } from '../../src/errors.ts';
import { createJobQueue } from '../../src/queue/runtime/index.ts';
import type { JobQueueLogger, LogFields } from '../../src/logger.ts';
import { pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { pruneScheduler } from '../../src/scheduler/retention.ts';
import { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';

/** A time no system clock shows any more, so a row timed by it can only have come from the manual clock. */
const NOW = Date.UTC(2001, 0, 1);
const DAY = 86_400_000;

class CapturingLogger implements JobQueueLogger {
  readonly lines: { level: 'warn' | 'error'; message: string; fields: LogFields }[] = [];
  warn(message: string, fields: LogFields): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(message: string, fields: LogFields): void {
    this.lines.push({ level: 'error', message, fields });
  }
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

forEachBackend('services given to openDatabases', (backend) => {
  async function open(): Promise<{ dbs: Databases; clock: ManualClock; logger: CapturingLogger; rows: (table: string) => Promise<any[]> }> {
    const clock = new ManualClock(NOW);
    const logger = new CapturingLogger();
    const dbs = await openDatabases(await freshConfig(backend), { clock, logger });
    const tables = (backend === 'sqlite' ? sqliteScheduler : pgScheduler) as unknown as Record<string, Table>;
    const db = dbs.scheduler.db as any;
    const rows = async (table: string) => {
      const query = db.select().from(tables[table]);
      return backend === 'sqlite' ? query.all() : await query;
    };
    return { dbs, clock, logger, rows };
  }

  it('every store and queue carries the clock and logger', async () => {
    const { dbs, clock, logger } = await open();
    try {
      for (const store of dbs.stores) expect(store.services).toEqual({ clock, logger });
      expect(dbs.replicator.queue('replication').services).toEqual({ clock, logger });
      expect(dbs.aggregator.dedupQueue('aggregator').services).toEqual({ clock, logger });
    } finally {
      await dbs.close();
    }
  });

  it('a task engine made from dbs.scheduler times its rows by the clock and logs through the logger', async () => {
    const { dbs, clock, logger, rows } = await open();
    const engine = new TaskEngine(dbs.scheduler, { lockRetry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 5 } });
    try {
      engine.register({ name: 'fails', maxFailures: 1, maxInFlight: 1, do: () => ({ done: false, error: new Error('no luck') }) });
      await engine.join();
      const [session] = await rows('taskEngineSessions');
      expect(session.heartbeatAt.getTime()).toBe(NOW);

      clock.advance(1_000);
      const added = await engine.addTask('fails');
      expect(added.status).toBe('added');
      const [task] = await rows('task');
      expect(task.postedTime.getTime()).toBe(NOW + 1_000);
      expect(task.updateTime.getTime()).toBe(NOW + 1_000);

      // Two failed attempts with maxFailures 1: the task is dropped, a warn event the default onEvent logs.
      for (let i = 0; i < 2; i++) {
        clock.advance(1_000);
        expect(await engine.pollOnce()).toBe(1);
        await engine.settled();
      }
      expect(await rows('task')).toEqual([]);
      const history = await rows('taskHistory');
      expect(history.map((h: any) => h.workEnd.getTime())).toEqual([NOW + 2_000, NOW + 3_000]);
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: 'task engine finished',
        fields: expect.objectContaining({ taskId: task.id, name: 'fails', effect: 'dropped', outcome: 'failed', err: 'error: no luck' }),
      });
    } finally {
      await engine.stop({ timeoutMs: 0 });
      await dbs.close();
    }
  });

  it("a task engine's own clock and logger win over the installation's", async () => {
    const { dbs, logger, rows } = await open();
    const own = new ManualClock(NOW + 5 * DAY);
    const ownLogger = new CapturingLogger();
    const engine = new TaskEngine(dbs.scheduler, { clock: own, logger: ownLogger });
    try {
      engine.register({ name: 'fails', maxFailures: 1, maxInFlight: 1, do: () => ({ done: false }) });
      await engine.join();
      await engine.addTask('fails');
      const [task] = await rows('task');
      expect(task.postedTime.getTime()).toBe(NOW + 5 * DAY);
      for (let i = 0; i < 2; i++) {
        await engine.pollOnce();
        await engine.settled();
      }
      expect(ownLogger.lines.map((l) => l.fields.effect)).toContain('dropped');
      expect(logger.lines).toEqual([]);
    } finally {
      await engine.stop({ timeoutMs: 0 });
      await dbs.close();
    }
  });

  it('the PDP flows made from dbs.scheduler write times from the clock; their own clock wins', async () => {
    const { dbs, clock, rows } = await open();
    try {
      clock.advance(7_000);
      const upload = { checkHashCodec: 'sha2-256', checkHash: Buffer.alloc(34, 1), checkSize: 10 };
      const first = await pdpFlows(dbs.scheduler).pieces.allocateUpload(upload);
      const second = await pdpFlows(dbs.scheduler, { clock: new ManualClock(NOW + DAY) }).pieces.allocateUpload(upload);
      const created = new Map((await rows('pdpPieceUploads')).map((r: any) => [r.id, r.createdAt.getTime()]));
      expect(created.get(first)).toBe(NOW + 7_000);
      expect(created.get(second)).toBe(NOW + DAY);
    } finally {
      await dbs.close();
    }
  });

  it('pruneScheduler on dbs.scheduler cuts off by the clock', async () => {
    const { dbs, rows } = await open();
    try {
      const history = (workEnd: number, taskId: number) => ({
        taskId,
        name: 'work',
        posted: new Date(workEnd),
        workStart: new Date(workEnd),
        workEnd: new Date(workEnd),
        result: true,
        err: '',
        completedBySessionId: 's',
      });
      const table = (backend === 'sqlite' ? sqliteScheduler : pgScheduler).taskHistory;
      // One row older than the cutoff by the manual clock; one after the manual "now" (long past by the system clock).
      const insert = (dbs.scheduler.db as any).insert(table).values([history(NOW - 10 * DAY, 1), history(NOW + DAY, 2)]);
      if (backend === 'sqlite') insert.run();
      else await insert;
      const result = await pruneScheduler(dbs.scheduler, { olderThanMs: 7 * DAY });
      expect(result.cutoff.getTime()).toBe(NOW - 7 * DAY);
      expect(result.taskHistory).toBe(1);
      expect((await rows('taskHistory')).map((r: any) => r.taskId)).toEqual([2]);
    } finally {
      await dbs.close();
    }
  });

  it("the worker runtime made from a store's queue logs through the logger; its own logger wins", async () => {
    const { dbs, clock, logger } = await open();
    const queue = dbs.replicator.queue('replication');
    const jobs = createJobQueue(queue, { pollIntervalMs: 5, idlePollIntervalMs: 5 });
    try {
      jobs.register('transfer-task', () => {});
      jobs.start();
      // Not an envelope: the runtime dead-letters it at once and says so through the logger.
      const id = await queue.send(Buffer.from('not an envelope'));
      await until(() => logger.lines.length > 0, 'a log line');
      expect(logger.lines[0]).toMatchObject({
        level: 'error',
        message: expect.stringContaining('cannot run message'),
        fields: { queue: 'replication', messageId: id },
      });
      // The line is logged before the dead letter is written: wait for the write, not only the line.
      await until(async () => (await queue.deadLetters()).length > 0, 'the dead letter');
      const [dead] = await queue.deadLetters();
      expect(dead!.movedAt.getTime()).toBe(clock.now());
    } finally {
      await jobs.stop({ timeoutMs: 0 });
    }
    const ownLogger = new CapturingLogger();
    const own = createJobQueue(dbs.egressTracker.queue('egress-tracker'), { pollIntervalMs: 5, idlePollIntervalMs: 5, logger: ownLogger });
    try {
      own.register('egress-track-task', () => {});
      own.start();
      await dbs.egressTracker.queue('egress-tracker').send(Buffer.from('not an envelope either'));
      await until(() => ownLogger.lines.length > 0, 'a log line of its own logger');
      expect(logger.lines).toHaveLength(1);
    } finally {
      await own.stop({ timeoutMs: 0 });
      await dbs.close();
    }
  });

  it('refuses a logger without warn and error functions before opening anything', async () => {
    const config = await freshConfig(backend);
    await expect(openDatabases(config, { logger: { warn: () => {} } as unknown as JobQueueLogger })).rejects.toThrow(ConfigError);
  });
});
