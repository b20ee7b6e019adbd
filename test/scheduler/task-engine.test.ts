/**
 * The task engine on both backends, against real databases. Time comes from a ManualClock; the engine is driven
 * step by step (join, pollOnce, heartbeat, releaseLapsedSessions, stop) except in the one test of the loops.
 */
import { describe, expect, it, vi } from 'vitest';
import { TaskDeferred, TaskEngineError } from '../../src/scheduler/errors.ts';
import type { SchedulerSql, SchedulerTx } from '../../src/scheduler/sql/types.ts';
import { TaskEngine, type TaskEngineEvent } from '../../src/scheduler/task-engine.ts';
import type { TaskContext, TaskResult, TaskType } from '../../src/scheduler/task-types.ts';
import { forEachBackend } from '../support/installations.ts';
import { byId, deferred, type Deferred, eventSeen, harness, type Harness, START, taskRow } from './helpers.ts';

const done = async (): Promise<TaskResult> => ({ done: true });

/** A type whose attempts block until the test resolves them. */
function gatedType(name: string, maxInFlight: number, extra: Partial<TaskType> = {}) {
  const gates = new Map<number, Deferred<TaskResult>>();
  const contexts = new Map<number, TaskContext>();
  const started: number[] = [];
  const gate = (id: number) => {
    if (!gates.has(id)) gates.set(id, deferred<TaskResult>());
    return gates.get(id)!;
  };
  const type: TaskType = {
    name,
    maxFailures: 0,
    maxInFlight,
    ...extra,
    do: (id, ctx) => {
      started.push(id);
      contexts.set(id, ctx);
      return gate(id).promise;
    },
  };
  return { type, gate, started, contexts };
}

const finished = (taskId: number) => (e: TaskEngineEvent) =>
  e.kind === 'finished' && e.taskId === taskId;

forEachBackend('task engine: adding', (backend) => {
  it('adds a task: retries 0, unowned, added_by the session, times from the clock', async () => {
    const h = await harness(backend);
    const engine = h.engine().register({ name: 'work', maxFailures: 0, maxInFlight: 1, do: done });
    h.clock.advance(1234);
    const result = await engine.addTask('work');
    expect(result.status).toBe('added');
    const [row] = await h.selectAll('task');
    expect(row).toMatchObject({
      id: (result as { taskId: number }).taskId,
      name: 'work',
      retries: 0,
      sessionId: null,
      addedBy: engine.sessionId,
      initiatedBy: null,
      previousTask: null,
    });
    expect(row!.postedTime.getTime()).toBe(START + 1234);
    expect(row!.updateTime.getTime()).toBe(START + 1234);
  });

  it('runs extra in the same transaction: its rows commit with the task, a veto or an error rolls both back', async () => {
    const h = await harness(backend);
    const engine = h.engine().register({ name: 'SendTransaction', maxFailures: 1000, maxInFlight: 1, do: done });
    const message = (taskId: number, reason: string) => ({
      taskId,
      fromAddress: '0xA',
      toAddress: '0xB',
      sendReason: reason,
      unsignedTx: new Uint8Array([1]),
      unsignedHash: `0x${reason}`,
    });

    const added = await engine.addTask('SendTransaction', async (taskId, tx) => {
      await tx.messageSends.insert(message(taskId, 'kept'));
      return true;
    });
    const vetoed = await engine.addTask('SendTransaction', async (taskId, tx) => {
      await tx.messageSends.insert(message(taskId, 'vetoed'));
      return false;
    });
    const failing = engine.addTask('SendTransaction', async (taskId, tx) => {
      await tx.messageSends.insert(message(taskId, 'failed'));
      throw new Error('gas estimate failed');
    });
    await expect(failing).rejects.toThrow('gas estimate failed');

    expect(added.status).toBe('added');
    expect(vetoed).toEqual({ status: 'vetoed' });
    const tasks = await h.selectAll('task');
    expect(tasks.map((t) => t.id)).toEqual([(added as { taskId: number }).taskId]);
    const sends = await h.selectAll('messageSendsEth');
    expect(sends.map((s) => [s.sendReason, s.sendTaskId])).toEqual([['kept', tasks[0]!.id]]);
    expect(h.events.filter((e) => e.kind === 'add-skipped').map((e) => (e as { status: string }).status)).toEqual(['vetoed']);
  });

  it('treats a UNIQUE/PK violation as already added, but rejects on any other constraint violation', async () => {
    const h = await harness(backend);
    const engine = h.engine().register({ name: 'work', maxFailures: 0, maxInFlight: 1, do: done });
    const insertSend = (fromAddress: string | null) => async (_taskId: number, tx: SchedulerTx) => {
      // A fixed send_task_id: the second add collides on the primary key.
      await tx.messageSends.insert({
        taskId: 4242,
        fromAddress: fromAddress as string,
        toAddress: '0xB',
        sendReason: 'r',
        unsignedTx: new Uint8Array(),
        unsignedHash: '0x',
      });
      return true;
    };
    expect((await engine.addTask('work', insertSend('0xA'))).status).toBe('added');
    expect(await engine.addTask('work', insertSend('0xA'))).toEqual({ status: 'already-added' });
    // NOT NULL is a constraint too; Piri's SQLite classification swallowed it as "already added".
    await expect(engine.addTask('work', insertSend(null))).rejects.toThrow();
    expect(await h.selectAll('task')).toHaveLength(1);
    expect(await h.selectAll('messageSendsEth')).toHaveLength(1);
  });

  it('retries lock errors with a bounded backoff, then gives up with the error', async () => {
    const h = await harness(backend);
    const lock = Object.assign(new Error('database is locked'), { transient: true });
    let failuresLeft = 0;
    let calls = 0;
    // The real SQL layer, except that some transactions fail with an error classified as a lock error.
    const flaky: SchedulerSql = {
      transaction: (fn) => {
        calls++;
        if (failuresLeft > 0) {
          failuresLeft--;
          return Promise.reject(lock);
        }
        return h.sql.transaction(fn);
      },
      classifyError: (error) => (error === lock ? 'lock' : h.sql.classifyError(error)),
    };
    const events: TaskEngineEvent[] = [];
    const engine = new TaskEngine(flaky, {
      clock: h.clock,
      lockRetry: { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 },
      onEvent: (e) => events.push(e),
    }).register({ name: 'work', maxFailures: 0, maxInFlight: 1, do: done });

    failuresLeft = 3;
    expect((await engine.addTask('work')).status).toBe('added');
    expect(calls).toBe(4);
    expect(events.filter((e) => e.kind === 'lock-retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([1, 2, 2]);

    failuresLeft = 100;
    calls = 0;
    await expect(engine.addTask('work')).rejects.toBe(lock);
    expect(calls).toBe(4);
    expect(await h.selectAll('task')).toHaveLength(1);
  });

  it('validates task types and refuses unknown ones', async () => {
    const h = await harness(backend);
    const engine = h.engine();
    const base = { maxFailures: 0, maxInFlight: 1, do: done };
    expect(() => engine.register({ ...base, name: 'x'.repeat(17) })).toThrow(TaskEngineError);
    expect(() => engine.register({ ...base, name: '' })).toThrow(/1 to 16 characters/);
    expect(() => engine.register({ ...base, name: 'a', maxInFlight: 0 })).toThrow(/maxInFlight/);
    expect(() => engine.register({ ...base, name: 'a', maxFailures: -1 })).toThrow(/maxFailures/);
    engine.register({ ...base, name: 'PDPProvingPeriod' });
    expect(() => engine.register({ ...base, name: 'PDPProvingPeriod' })).toThrow(/already registered/);
    await expect(engine.addTask('nope')).rejects.toMatchObject({ code: 'UNKNOWN_TASK_TYPE' });
    // 16 characters fit Postgres' varchar(16).
    expect((await engine.addTask('PDPProvingPeriod')).status).toBe('added');
    expect(() => h.engine({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 1000 })).toThrow(/must exceed/);
  });
});

forEachBackend('task engine: claiming', (backend) => {
  it('claims unowned tasks oldest update_time first, then by id', async () => {
    const h = await harness(backend);
    await h.insert('task', [
      taskRow({ id: 1, updateTime: new Date(START + 3000) }),
      taskRow({ id: 2, updateTime: new Date(START + 1000) }),
      taskRow({ id: 3, updateTime: new Date(START + 1000) }),
      taskRow({ id: 4, updateTime: new Date(START + 2000) }),
      taskRow({ id: 5, updateTime: new Date(START), name: 'other' }),
    ]);
    const order: number[] = [];
    const engine = h.engine().register({
      name: 'work',
      maxFailures: 0,
      maxInFlight: 1,
      do: async (id) => {
        order.push(id);
        return { done: true };
      },
    });
    await engine.join();
    for (let i = 0; i < 5; i++) {
      await engine.pollOnce();
      await engine.settled();
    }
    expect(order).toEqual([2, 3, 4, 1]);
    expect((await h.selectAll('task')).map((t) => t.id)).toEqual([5]);
  });

  it('honours retryWait as Piri: not while retries is 0, otherwise only once now - update_time exceeds it', async () => {
    const h = await harness(backend);
    const now = START + 60_000;
    h.clock.advance(60_000);
    await h.insert('task', [
      taskRow({ id: 1, retries: 0, updateTime: new Date(now) }),
      taskRow({ id: 2, retries: 2, updateTime: new Date(now - 2000) }),
      taskRow({ id: 3, retries: 1, updateTime: new Date(now - 500) }),
      taskRow({ id: 4, name: 'nowait', retries: 7, updateTime: new Date(now) }),
    ]);
    const claimedIds = () => h.events.flatMap((e) => (e.kind === 'claimed' ? e.taskIds : []));
    const waiting = gatedType('work', 10, { retryWait: (retries) => retries * 1000 });
    const noWait = gatedType('nowait', 10);
    const engine = h.engine().register(waiting.type).register(noWait.type);
    await engine.join();

    expect(await engine.pollOnce()).toBe(2);
    expect(claimedIds().sort()).toEqual([1, 4]);
    h.clock.advance(1); // task 2: 2001 > 2000
    expect(await engine.pollOnce()).toBe(1);
    expect(claimedIds().at(-1)).toBe(2);
    h.clock.advance(499); // task 3: 1000 is not > 1000
    expect(await engine.pollOnce()).toBe(0);
    h.clock.advance(1);
    expect(await engine.pollOnce()).toBe(1);
    expect(claimedIds().at(-1)).toBe(3);
  });

  it('pages past tasks still waiting out their retryWait, up to claimScanLimit rows', async () => {
    const h = await harness(backend);
    // 300 failed tasks that must wait, all older than the one claimable task (more than one 256-row page).
    await h.insert('task', [
      ...Array.from({ length: 300 }, (_, i) => taskRow({ id: i + 1, retries: 1, updateTime: new Date(START + i) })),
      taskRow({ id: 1000, retries: 0, updateTime: new Date(START + 500) }),
    ]);
    h.clock.advance(600);
    const type = (name: string) => gatedType(name, 1, { retryWait: () => 60_000 }).type;
    const capped = h.engine({ claimScanLimit: 256 }).register({ ...type('work') });
    await capped.join();
    expect(await capped.pollOnce()).toBe(0);
    const full = h.engine().register({ ...type('work') });
    await full.join();
    expect(await full.pollOnce()).toBe(1);
    expect((await h.selectAll('task')).find((t) => t.id === 1000)!.sessionId).toBe(full.sessionId);
  });

  it('keeps each type within its maxInFlight', async () => {
    const h = await harness(backend);
    await h.insert('task', [
      ...[1, 2, 3, 4, 5].map((id) => taskRow({ id, name: 'slow' })),
      ...[6, 7].map((id) => taskRow({ id, name: 'other' })),
    ]);
    const slow = gatedType('slow', 2);
    const other = gatedType('other', 1);
    const engine = h.engine().register(slow.type).register(other.type);
    await engine.join();
    expect(await engine.pollOnce()).toBe(3);
    expect([engine.inFlight('slow'), engine.inFlight('other')]).toEqual([2, 1]);
    expect(await engine.pollOnce()).toBe(0);
    expect((await h.selectAll('task')).filter((t) => t.sessionId === engine.sessionId)).toHaveLength(3);

    slow.gate(slow.started[0]!).resolve({ done: true });
    await eventSeen(h, finished(slow.started[0]!));
    expect(engine.inFlight('slow')).toBe(1);
    expect(await engine.pollOnce()).toBe(1);
    expect(slow.started).toHaveLength(3);
    expect(other.started).toHaveLength(1);
  });

  it('never claims a task another live session owns', async () => {
    const h = await harness(backend);
    const a = h.engine().register(gatedType('work', 10).type);
    await a.join();
    await h.insert('task', [taskRow({ id: 1, sessionId: a.sessionId }), taskRow({ id: 2 })]);
    const b = h.engine().register(gatedType('work', 10).type);
    await b.join(); // join also releases lapsed sessions: a is live, so nothing
    expect(await b.pollOnce()).toBe(1);
    const rows = byId(await h.selectAll('task'));
    expect(rows.map((t) => t.sessionId)).toEqual([a.sessionId, b.sessionId]);
  });

  it('claims conditionally: a task taken between select and update is not taken again', async () => {
    const h = await harness(backend);
    await h.insert('task', [taskRow({ id: 1 }), taskRow({ id: 2 })]);
    const first = await h.sql.transaction(async (tx) => {
      const candidates = await tx.tasks.claimable({ name: 'work', limit: 10 });
      return tx.tasks.claim({ ids: candidates.map((c) => c.id), sessionId: 'A', nowMs: START });
    });
    expect(first.map((t) => t.id)).toEqual([1, 2]);
    const second = await h.sql.transaction((tx) => tx.tasks.claim({ ids: [1, 2], sessionId: 'B', nowMs: START }));
    expect(second).toEqual([]);
    expect(byId(await h.selectAll('task')).map((t) => t.sessionId)).toEqual(['A', 'A']);
  });

  it('two engines polling at once never take the same task', async () => {
    const h = await harness(backend);
    await h.insert('task', Array.from({ length: 60 }, (_, i) => taskRow({ id: i + 1 })));
    const x = gatedType('work', 40);
    const y = gatedType('work', 40);
    const ex = h.engine().register(x.type);
    const ey = h.engine().register(y.type);
    await ex.join();
    await ey.join();
    const [nx, ny] = await Promise.all([ex.pollOnce(), ey.pollOnce()]);
    await Promise.all([ex.pollOnce(), ey.pollOnce()]);
    expect(nx + ny).toBeGreaterThan(0);
    const all = [...x.started, ...y.started];
    expect(all).toHaveLength(60);
    expect(new Set(all).size).toBe(60);
    const owner = new Map((await h.selectAll('task')).map((t) => [t.id, t.sessionId]));
    for (const id of x.started) expect(owner.get(id)).toBe(ex.sessionId);
    for (const id of y.started) expect(owner.get(id)).toBe(ey.sessionId);
  });
});

forEachBackend('task engine: finishing', (backend) => {
  /** One task, claimed at START+1000, its attempt ending at START+1250 with `result` (or throwing it). */
  async function attempt(h: Harness, behaviour: () => Promise<TaskResult> | TaskResult, type: Partial<TaskType> = {}) {
    const engine = h.engine().register({
      name: 'work',
      maxFailures: 0,
      maxInFlight: 1,
      ...type,
      do: async () => {
        h.clock.advance(250);
        return behaviour();
      },
    });
    const added = await engine.addTask('work');
    const taskId = (added as { taskId: number }).taskId;
    await engine.join();
    h.clock.advance(1000);
    expect(await engine.pollOnce()).toBe(1);
    await engine.settled();
    const history = await h.selectAll('taskHistory');
    const tasks = await h.selectAll('task');
    return { engine, taskId, history, task: tasks.find((t) => t.id === taskId) };
  }

  const historyOf = (h: { history: Awaited<ReturnType<typeof attempt>>['history'] }) =>
    h.history.map((r) => ({
      taskId: r.taskId,
      name: r.name,
      posted: r.posted.getTime(),
      workStart: r.workStart.getTime(),
      workEnd: r.workEnd.getTime(),
      result: r.result,
      err: r.err,
      completedBySessionId: r.completedBySessionId,
    }));

  it('done: deletes the task and records a successful attempt', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => ({ done: true }));
    expect(r.task).toBeUndefined();
    expect(historyOf(r)).toEqual([
      {
        taskId: r.taskId,
        name: 'work',
        posted: START,
        workStart: START + 1000,
        workEnd: START + 1250,
        result: true,
        err: '',
        completedBySessionId: r.engine.sessionId,
      },
    ]);
  });

  it('done with an error: deleted, recorded as a non-failing error', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => ({ done: true, error: new Error('receipt slow') }));
    expect(r.task).toBeUndefined();
    expect(historyOf(r)[0]).toMatchObject({ result: true, err: 'non-failing error: receipt slow' });
  });

  it('TaskDeferred: released with retries unchanged and update_time now, recorded as deferred', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => {
      throw new TaskDeferred('gas too high', { cause: new Error('basefee') });
    });
    expect(r.task).toMatchObject({ sessionId: null, retries: 0 });
    expect(r.task!.updateTime.getTime()).toBe(START + 1250);
    expect(historyOf(r)[0]).toMatchObject({ result: false, err: 'deferred: gas too high' });
  });

  it('a wrapped TaskDeferred returned as the error of done:false also defers', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => ({ done: false, error: new Error('send', { cause: new TaskDeferred('gas') }) }));
    expect(r.task).toMatchObject({ sessionId: null, retries: 0 });
    expect(historyOf(r)[0]!.err).toBe('deferred: send');
  });

  it('failure: retries + 1, released, update_time now, recorded as an error', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => {
      throw new Error('boom');
    });
    expect(r.task).toMatchObject({ sessionId: null, retries: 1 });
    expect(r.task!.updateTime.getTime()).toBe(START + 1250);
    expect(historyOf(r)[0]).toMatchObject({ result: false, err: 'error: boom', workEnd: START + 1250 });
  });

  it('done:false without an error counts as a failure with an empty err (Piri)', async () => {
    const h = await harness(backend);
    const r = await attempt(h, () => ({ done: false }));
    expect(r.task).toMatchObject({ sessionId: null, retries: 1 });
    expect(historyOf(r)[0]).toMatchObject({ result: false, err: '' });
  });

  it('a thrown non-Error, a synchronous throw and a malformed result are failures', async () => {
    for (const [behaviour, err] of [
      [() => Promise.reject('not an error'), 'error: not an error'],
      [() => Promise.reject(undefined), 'error: undefined'],
      [() => ({ ok: true }) as unknown as TaskResult, 'error: task returned {"ok":true} instead of { done: boolean }'],
    ] as const) {
      const h = await harness(backend);
      const r = await attempt(h, behaviour);
      expect(r.task).toMatchObject({ sessionId: null, retries: 1 });
      expect(historyOf(r)[0]!.err).toBe(err);
    }
    const h = await harness(backend);
    const engine = h
      .engine()
      .register({ name: 'sync', maxFailures: 0, maxInFlight: 1, do: () => { throw new RangeError('sync'); } });
    await engine.addTask('sync');
    await engine.join();
    await engine.pollOnce();
    await engine.settled();
    expect((await h.selectAll('task'))[0]).toMatchObject({ retries: 1, sessionId: null });
    expect((await h.selectAll('taskHistory'))[0]!.err).toBe('error: sync');
  });

  it('maxFailures N: N + 1 attempts, then the task is dropped; 0 retries forever', async () => {
    const h = await harness(backend);
    const fail = async (): Promise<TaskResult> => {
      throw new Error('nope');
    };
    const engine = h
      .engine()
      .register({ name: 'limited', maxFailures: 2, maxInFlight: 1, do: fail })
      .register({ name: 'forever', maxFailures: 0, maxInFlight: 1, do: fail });
    await engine.addTask('limited');
    await engine.addTask('forever');
    await engine.join();
    for (let i = 0; i < 6; i++) {
      await engine.pollOnce();
      await engine.settled();
    }
    const tasks = await h.selectAll('task');
    expect(tasks.map((t) => [t.name, t.retries])).toEqual([['forever', 6]]);
    const history = await h.selectAll('taskHistory');
    expect(history.filter((r) => r.name === 'limited').map((r) => r.err)).toEqual(['error: nope', 'error: nope', 'error: nope']);
    expect(history.filter((r) => r.name === 'forever')).toHaveLength(6);
    expect(h.events.filter((e) => e.kind === 'finished' && e.effect === 'dropped')).toHaveLength(1);
  });

  it('deleting a finished task fires the FK cascades: prove-task row gone, challenge_request_task_id NULL', async () => {
    const h = await harness(backend);
    const engine = h
      .engine()
      .register({ name: 'PDPProve', maxFailures: 5, maxInFlight: 5, do: done })
      .register({ name: 'PDPInitPP', maxFailures: 1, maxInFlight: 5, do: async () => ({ done: false }) });
    const prove = (await engine.addTask('PDPProve')) as { taskId: number };
    const init = (await engine.addTask('PDPInitPP')) as { taskId: number };
    await h.insert('pdpProofSets', [
      { id: 1, createMessageHash: '0xc1', service: 'storacha', challengeRequestTaskId: prove.taskId },
      { id: 2, createMessageHash: '0xc2', service: 'storacha', challengeRequestTaskId: init.taskId },
    ]);
    await h.insert('pdpProveTasks', [{ proofsetId: 1, taskId: prove.taskId }, { proofsetId: 2, taskId: init.taskId }]);
    await engine.join();
    await engine.pollOnce();
    await engine.settled();
    // Done: cascade on the prove task. The failing init task is still there (1 failure allowed).
    expect(await h.selectAll('pdpProveTasks')).toEqual([{ proofsetId: 2, taskId: init.taskId }]);
    expect(byId(await h.selectAll('pdpProofSets')).map((p) => p.challengeRequestTaskId)).toEqual([null, init.taskId]);
    await engine.pollOnce();
    await engine.settled();
    // Dropped after maxFailures + 1 attempts: the same cascades.
    expect(await h.selectAll('task')).toEqual([]);
    expect(await h.selectAll('pdpProveTasks')).toEqual([]);
    expect(byId(await h.selectAll('pdpProofSets')).map((p) => p.challengeRequestTaskId)).toEqual([null, null]);
  });
});

forEachBackend('task engine: sessions', (backend) => {
  it('releases only the tasks of sessions whose heartbeat is older than the timeout', async () => {
    const h = await harness(backend);
    const opts = { heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 10_000 };
    const bWork = gatedType('work', 2);
    const cWork = gatedType('work', 2);
    const b = h.engine(opts).register(bWork.type);
    const c = h.engine(opts).register(cWork.type);
    const a = h.engine(opts).register(gatedType('work', 2).type);
    await b.addTask('work');
    await b.addTask('work');
    await b.join();
    await b.pollOnce();
    await c.addTask('work');
    await c.addTask('work');
    await c.join();
    await c.pollOnce();
    await a.join();
    const owners = async () => byId(await h.selectAll('task')).map((t) => t.sessionId);
    expect(await owners()).toEqual([b.sessionId, b.sessionId, c.sessionId, c.sessionId]);

    h.clock.advance(10_000); // exactly the timeout: not older than it
    expect((await a.releaseLapsedSessions()).sessions).toEqual([]);
    await c.heartbeat();
    h.clock.advance(1);
    const released = await a.releaseLapsedSessions();
    expect(released.sessions.map((s) => s.sessionId)).toEqual([b.sessionId]);
    expect(released.nowMs - released.sessions[0]!.heartbeatMs).toBeGreaterThan(10_000);
    expect(released.tasks).toBe(2);
    expect(await owners()).toEqual([null, null, c.sessionId, c.sessionId]);
    expect((await h.selectAll('taskEngineSessions')).map((s) => s.sessionId).sort()).toEqual(
      [a.sessionId, c.sessionId].sort(),
    );

    // The presumed-dead engine finishes anyway: history is written, the task is left alone.
    const late = bWork.started[0]!;
    bWork.gate(late).resolve({ done: true });
    await eventSeen(h, finished(late));
    expect(h.events.find(finished(late))).toMatchObject({ effect: 'not-owned', level: 'warn' });
    expect(byId(await h.selectAll('task')).find((t) => t.id === late)).toMatchObject({ sessionId: null, retries: 0 });
    expect((await h.selectAll('taskHistory')).map((r) => [r.taskId, r.result, r.completedBySessionId])).toEqual([
      [late, true, b.sessionId],
    ]);

    // Its next heartbeat notices, and it carries on under a new session; the released tasks are claimable again.
    const old = b.sessionId;
    await b.heartbeat();
    expect(b.sessionId).not.toBe(old);
    expect(h.events.some((e) => e.kind === 'session-lost' && e.previousSessionId === old)).toBe(true);
    expect(await a.pollOnce()).toBe(2);
  });

  it('at join, releases tasks of sessions without a row (e.g. Piri sessions), not those of live ones', async () => {
    const h = await harness(backend);
    const live = h.engine().register(gatedType('work', 1).type);
    await live.join();
    await h.insert('task', [taskRow({ id: 1, sessionId: 'piri-old-session' }), taskRow({ id: 2, sessionId: live.sessionId })]);
    const next = h.engine().register(gatedType('work', 1).type);
    await next.join();
    expect(byId(await h.selectAll('task')).map((t) => t.sessionId)).toEqual([null, live.sessionId]);
  });

  it('stop waits for running attempts and applies their results', async () => {
    const h = await harness(backend);
    const work = gatedType('work', 2);
    const engine = h.engine().register(work.type);
    await engine.addTask('work');
    await engine.join();
    await engine.pollOnce();
    const stopping = engine.stop({ timeoutMs: 60_000 });
    await expect(engine.pollOnce()).rejects.toMatchObject({ code: 'ENGINE_STATE' });
    work.gate(work.started[0]!).resolve({ done: true });
    expect(await stopping).toEqual({ unfinished: 0, released: 0 });
    expect(await h.selectAll('task')).toEqual([]);
    expect(await h.selectAll('taskEngineSessions')).toEqual([]);
    expect((await h.selectAll('taskHistory')).map((r) => r.result)).toEqual([true]);
  });

  it('stop releases what did not finish in time, deletes the session row and aborts the attempt', async () => {
    const h = await harness(backend);
    const work = gatedType('work', 2);
    const engine = h.engine().register(work.type);
    const other = h.engine().register(gatedType('work', 1).type);
    await other.join();
    await other.addTask('work');
    await other.pollOnce(); // a task owned by a live engine: stop must not touch it
    await engine.addTask('work');
    await engine.addTask('work');
    await engine.join();
    expect(await engine.pollOnce()).toBe(2);
    const [quick, stuck] = work.started as [number, number];
    work.gate(quick).resolve({ done: true });
    await eventSeen(h, finished(quick));

    expect(await engine.stop({ timeoutMs: 0 })).toEqual({ unfinished: 1, released: 1 });
    expect(work.contexts.get(stuck)!.signal.aborted).toBe(true);
    const rows = byId(await h.selectAll('task'));
    expect(rows.map((t) => [t.id, t.sessionId, t.retries])).toEqual([
      [rows[0]!.id, other.sessionId, 0],
      [stuck, null, 0],
    ]);
    expect((await h.selectAll('taskEngineSessions')).map((s) => s.sessionId)).toEqual([other.sessionId]);

    // The aborted attempt ends later: only its history row is written.
    work.gate(stuck).resolve({ done: true });
    await eventSeen(h, finished(stuck));
    expect(h.events.find(finished(stuck))).toMatchObject({ effect: 'not-owned' });
    expect(rows.find((t) => t.id === stuck)).toBeDefined();
    expect(byId(await h.selectAll('task')).find((t) => t.id === stuck)).toMatchObject({ sessionId: null });
  });

  it('start() runs the loops: added tasks are claimed and finished without manual polling', async () => {
    const h = await harness(backend);
    const ran: number[] = [];
    const engine = h
      .engine({ firstPollDelayMs: 0, busyPollIntervalMs: 10, idlePollIntervalMs: 20, heartbeatIntervalMs: 20, heartbeatTimeoutMs: 5_000 })
      .register({
        name: 'work',
        maxFailures: 0,
        maxInFlight: 3,
        do: async (id) => {
          ran.push(id);
          return { done: true };
        },
      });
    await engine.start();
    for (let i = 0; i < 20; i++) await engine.addTask('work');
    await vi.waitFor(async () => expect(await h.selectAll('task')).toEqual([]), { timeout: 20_000, interval: 20 });
    await engine.stop();
    expect(new Set(ran).size).toBe(20);
    expect(ran).toHaveLength(20);
    expect((await h.selectAll('taskHistory')).every((r) => r.result && r.completedBySessionId === engine.sessionId)).toBe(true);
  });
});

describe('task engine: options', () => {
  it('refuses negative or non-finite timings', () => {
    const sql = { transaction: async () => undefined, classifyError: () => 'other' } as unknown as SchedulerSql;
    expect(() => new TaskEngine(sql, { idlePollIntervalMs: -1 })).toThrow(/idlePollIntervalMs/);
    expect(() => new TaskEngine(sql, { stopTimeoutMs: Number.NaN })).toThrow(/stopTimeoutMs/);
  });
});
