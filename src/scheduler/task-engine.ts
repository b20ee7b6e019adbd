/**
 * The scheduler's task engine (Piri's harmonytask, data-model §7), dialect-free: every statement goes through
 * SchedulerSql (src/scheduler/sql/), one transaction per step.
 *
 *   addTask   one transaction: INSERT task, then the caller's `extra(taskId, tx)` in the same transaction;
 *             `false` vetoes (rollback), a UNIQUE/PK violation means "already added", lock errors retry (bounded).
 *   poll      per registered type, in order: unowned tasks ORDER BY update_time, id, filtered by retryWait as Piri,
 *             up to the type's free maxInFlight slots, claimed with a conditional UPDATE (session_id IS NULL;
 *             Postgres selects FOR UPDATE SKIP LOCKED). Each claimed task runs at once.
 *   finish    one transaction: delete the task (done; FK cascades fire), release it (deferred), drop it
 *             (maxFailures reached) or count a retry and release it, each conditional on this session still owning
 *             it; always a task_history row. If the session no longer owns it (it was released because the session
 *             was presumed dead), only the history row is written.
 *   sessions  each engine has a session (UUIDv7) with a heartbeat row in task_engine_sessions. An engine releases
 *             only the tasks of sessions whose heartbeat is older than heartbeatTimeoutMs (and of sessions with no
 *             row at all), never those of live engines.
 *   stop      stop polling, wait for running tasks up to a timeout, release this session's unfinished tasks,
 *             delete the session row.
 *
 * Deliberate differences from Piri (data-model §10 items 6, 7, 19):
 *   - the claim is conditional and uses SKIP LOCKED, so several engines may share one scheduler database;
 *   - heartbeats replace "release every other session's tasks at start";
 *   - update_time is set from the engine's Clock on insert too (Piri leaves it to the DB default), so that every
 *     time in the table comes from one clock;
 *   - a poll visits every type (Piri stopped after the first type that claimed something), within maxInFlight;
 *   - finishing tasks wake the poll loop (at once when half a type's slots are free, else within the busy
 *     interval), and so does a local addTask, instead of waiting for the next 100 ms / 3 s tick;
 *   - a finish during shutdown still commits (Piri's cancelled context made it fail, so the task re-ran);
 *   - a thrown non-Error counts as a failure with its text (Piri recovered panics as done=false, err '');
 *   - lock retries are bounded for addTask too; an error thrown by `extra` rejects addTask (Piri only logged it).
 */
import { type Clock, systemClock } from '../clock.ts';
import type { JobQueueLogger, LogFields } from '../logger.ts';
import { servicesOf } from '../services.ts';
import { TaskEngineError } from './errors.ts';
import { DEFAULT_LOCK_RETRY, type LockRetryOptions, retryOnLock } from './lock-retry.ts';
import { uuidv7 } from './session-id.ts';
import { waitAtMost, WakeableSleep } from './sleep.ts';
import { type SchedulerSource, schedulerSql } from './sql/index.ts';
import type { OwnedTask, SchedulerSql, SchedulerTx, TaskCursor } from './sql/types.ts';
import {
  isEligible,
  messageOf,
  type Outcome,
  outcomeOfResult,
  outcomeOfThrown,
  type TaskContext,
  type TaskType,
  validateTaskType,
} from './task-types.ts';

/**
 * Tuning of a TaskEngine; every field is optional, with Piri's timings as the defaults. Times are in ms; a negative or
 * non-finite one throws a TaskEngineError (INVALID_OPTION).
 */
export interface TaskEngineOptions {
  /** Where task times come from. Default: the clock of the store's installation (openDatabases), else the system clock. */
  readonly clock?: Clock;
  /** How often the session's heartbeat is written (and lapsed sessions looked for). Default 5,000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** A session whose heartbeat is older than this is presumed dead. Must exceed the interval. Default 30,000 ms. */
  readonly heartbeatTimeoutMs?: number;
  /** Delay before the first poll. Default 100 ms (Piri). */
  readonly firstPollDelayMs?: number;
  /** Delay after a poll that claimed something. Default 100 ms (Piri). */
  readonly busyPollIntervalMs?: number;
  /** Delay after a poll that claimed nothing. Default 3,000 ms (Piri). */
  readonly idlePollIntervalMs?: number;
  /** Rows a poll examines per type at most when filtering by retryWait. Default 1,000. */
  readonly claimScanLimit?: number;
  /** Bounded retry of addTask and finish transactions on lock errors. */
  readonly lockRetry?: LockRetryOptions;
  /** Default for stop(): how long to wait for running tasks. Default 30,000 ms. */
  readonly stopTimeoutMs?: number;
  /** Session id generator (UUIDv7 by default). */
  readonly newSessionId?: (nowMs: number) => string;
  /**
   * Where the default onEvent writes warn and error events. Default: the logger of the store's installation
   * (openDatabases), else one line per event on stderr.
   */
  readonly logger?: JobQueueLogger;
  /** Everything notable the engine does; defaults to writing warn and error events to the logger. */
  readonly onEvent?: (event: TaskEngineEvent) => void;
}

/**
 * Writes that must commit with a new task, in the same transaction: return true to keep the task, false to roll both
 * back. `tx` is valid only until the returned promise settles.
 */
export type AddTaskExtra = (taskId: number, tx: SchedulerTx) => Promise<boolean> | boolean;

/** What TaskEngine.addTask did: added (with the new task id), vetoed by its extra, or rolled back as already added. */
export type AddTaskResult =
  | { readonly status: 'added'; readonly taskId: number }
  /** `extra` returned false (anything but true): rolled back, no task. */
  | { readonly status: 'vetoed' }
  /** The transaction hit a UNIQUE/PRIMARY KEY violation: rolled back, treated as already added. */
  | { readonly status: 'already-added' };

/** What finishing an attempt did to the task row. */
export type FinishEffect = 'deleted' | 'released' | 'retry' | 'dropped' | 'not-owned';

/** What releaseLapsedSessions found and released, and the heartbeat cutoff it used (epoch ms). */
export interface LapsedSessions {
  /** Sessions whose heartbeat was older than the timeout; their rows were deleted. */
  readonly sessions: readonly { readonly sessionId: string; readonly heartbeatMs: number }[];
  /** Tasks released: those of the lapsed sessions and of sessions without a row. */
  readonly tasks: number;
  readonly nowMs: number;
  readonly cutoffMs: number;
}

/** What TaskEngine.stop left behind: attempts still running when the wait ended, and task rows given back. */
export interface StopResult {
  /** Attempts still running when the wait ended; their tasks were released. */
  readonly unfinished: number;
  /** Task rows released (session_id set to NULL). */
  readonly released: number;
}

/**
 * Everything notable a TaskEngine does, each with a log level; TaskEngineOptions.onEvent receives them (by default warn
 * and error go to stderr).
 */
export type TaskEngineEvent =
  | { readonly kind: 'joined'; readonly level: 'info'; readonly sessionId: string }
  | { readonly kind: 'claimed'; readonly level: 'debug'; readonly name: string; readonly taskIds: readonly number[] }
  | {
      readonly kind: 'finished';
      readonly level: 'debug' | 'warn';
      readonly taskId: number;
      readonly name: string;
      readonly sessionId: string;
      readonly outcome: Outcome['kind'];
      readonly effect: FinishEffect;
      readonly err: string;
    }
  | { readonly kind: 'finish-failed'; readonly level: 'error'; readonly taskId: number; readonly name: string; readonly error: unknown }
  /** After a finish-failed, handing the task back failed too: it stays owned until this session stops or lapses. */
  | { readonly kind: 'release-failed'; readonly level: 'warn'; readonly taskId: number; readonly name: string; readonly error: unknown }
  | { readonly kind: 'add-skipped'; readonly level: 'info'; readonly name: string; readonly status: 'vetoed' | 'already-added' }
  | ({ readonly kind: 'lapsed-released'; readonly level: 'info' } & LapsedSessions)
  | { readonly kind: 'session-lost'; readonly level: 'warn'; readonly previousSessionId: string; readonly sessionId: string }
  | { readonly kind: 'lock-retry'; readonly level: 'debug'; readonly operation: string; readonly attempt: number; readonly delayMs: number }
  | { readonly kind: 'poll-failed' | 'heartbeat-failed'; readonly level: 'error'; readonly error: unknown }
  | ({ readonly kind: 'stopped'; readonly level: 'info'; readonly sessionId: string } & StopResult);

/** Where a TaskEngine is in its life: new, joined (session row written), running (polling), stopping, stopped. */
export type TaskEngineState = 'new' | 'joined' | 'running' | 'stopping' | 'stopped';

/** The engine's numeric options: each as TaskEngineOptions gives it, else its default. */
type Timings = Required<
  Pick<
    TaskEngineOptions,
    | 'heartbeatIntervalMs'
    | 'heartbeatTimeoutMs'
    | 'firstPollDelayMs'
    | 'busyPollIntervalMs'
    | 'idlePollIntervalMs'
    | 'claimScanLimit'
    | 'stopTimeoutMs'
  >
>;

const DEFAULTS: Timings = {
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 30_000,
  firstPollDelayMs: 100,
  busyPollIntervalMs: 100,
  idlePollIntervalMs: 3_000,
  claimScanLimit: 1_000,
  stopTimeoutMs: 30_000,
};

class Vetoed extends Error {}

/**
 * Runs Piri's scheduler tasks from the scheduler store: register task types, start polling, add tasks. Several engines
 * (processes) may share one Postgres scheduler; each claims tasks exclusively and releases those of engines whose
 * heartbeat lapsed.
 */
export class TaskEngine {
  readonly #sql: SchedulerSql;
  readonly #clock: Clock;
  readonly #options: Timings;
  readonly #lockRetry: Required<LockRetryOptions>;
  readonly #newSessionId: (nowMs: number) => string;
  readonly #emit: (event: TaskEngineEvent) => void;
  readonly #types = new Map<string, TaskType>();
  readonly #inFlight = new Map<string, number>();
  readonly #running = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  readonly #pollTimer = new WakeableSleep();
  readonly #heartbeatTimer = new WakeableSleep();
  #state: TaskEngineState = 'new';
  #sessionId: string;
  #polling: Promise<number> = Promise.resolve(0);
  #beating: Promise<void> = Promise.resolve();
  #loops: Promise<void>[] = [];
  #stopped?: Promise<StopResult>;

  constructor(store: SchedulerSource, options: TaskEngineOptions = {}) {
    this.#sql = schedulerSql(store);
    const services = servicesOf(store);
    this.#clock = options.clock ?? services?.clock ?? systemClock;
    const option = (key: keyof Timings): number => {
      const value = options[key];
      if (value === undefined) return DEFAULTS[key];
      if (!Number.isFinite(value) || value < 0) {
        throw new TaskEngineError('INVALID_OPTION', `task engine option ${key} must be a finite number >= 0, got ${value}`);
      }
      return value;
    };
    // In the order they are checked.
    const merged: Timings = {
      heartbeatIntervalMs: option('heartbeatIntervalMs'),
      heartbeatTimeoutMs: option('heartbeatTimeoutMs'),
      firstPollDelayMs: option('firstPollDelayMs'),
      busyPollIntervalMs: option('busyPollIntervalMs'),
      idlePollIntervalMs: option('idlePollIntervalMs'),
      claimScanLimit: option('claimScanLimit'),
      stopTimeoutMs: option('stopTimeoutMs'),
    };
    if (merged.heartbeatTimeoutMs <= merged.heartbeatIntervalMs) {
      throw new TaskEngineError('INVALID_OPTION', 'task engine option heartbeatTimeoutMs must exceed heartbeatIntervalMs');
    }
    if (merged.claimScanLimit < 1) throw new TaskEngineError('INVALID_OPTION', 'task engine option claimScanLimit must be >= 1');
    this.#options = merged;
    this.#lockRetry = { ...DEFAULT_LOCK_RETRY, ...options.lockRetry };
    this.#newSessionId = options.newSessionId ?? uuidv7;
    this.#emit = options.onEvent ?? logEvents(options.logger ?? services?.logger);
    this.#sessionId = this.#newSessionId(this.#clock.now());
  }

  /** The current session id. It changes if another engine declared this one dead (see heartbeat()). */
  get sessionId(): string {
    return this.#sessionId;
  }

  /** Where the engine is in its life; see TaskEngineState. */
  get state(): TaskEngineState {
    return this.#state;
  }

  /** Attempts running now, of one type or in all. */
  inFlight(typeName?: string): number {
    if (typeName !== undefined) return this.#inFlight.get(typeName) ?? 0;
    return this.#running.size;
  }

  /**
   * Adds a task type this engine claims and runs; returns the engine, for chaining. Throws a TaskEngineError for an
   * invalid or already registered type, or once the engine is stopping.
   */
  register(type: TaskType): this {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      throw new TaskEngineError('ENGINE_STATE', `cannot register task type ${type.name}: the engine is ${this.#state}`);
    }
    validateTaskType(type);
    if (this.#types.has(type.name)) {
      throw new TaskEngineError('INVALID_TASK_TYPE', `task type ${type.name} is already registered`);
    }
    this.#types.set(type.name, type);
    this.#inFlight.set(type.name, 0);
    return this;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Adding

  /**
   * Adds a task of a registered type, in one transaction with `extra`'s writes. Resolves with what happened;
   * rejects with `extra`'s error (after rollback), with a non-lock database error, or with the last lock error
   * once the bounded retries are used up.
   */
  async addTask(typeName: string, extra?: AddTaskExtra): Promise<AddTaskResult> {
    const type = this.#types.get(typeName);
    if (!type) throw new TaskEngineError('UNKNOWN_TASK_TYPE', `task type ${typeName} is not registered`);
    let result: AddTaskResult;
    try {
      result = await this.#retry('addTask', async () => {
        try {
          return await this.#sql.transaction(async (tx): Promise<AddTaskResult> => {
            const taskId = await tx.tasks.insert({ name: type.name, addedBy: this.#sessionId, nowMs: this.#clock.now() });
            if (extra && (await extra(taskId, tx)) !== true) throw new Vetoed();
            return { status: 'added', taskId };
          });
        } catch (error) {
          if (error instanceof Vetoed) return { status: 'vetoed' };
          throw error;
        }
      });
    } catch (error) {
      if (this.#sql.classifyError(error) !== 'unique') throw error;
      result = { status: 'already-added' };
    }
    if (result.status === 'added') this.#nudge();
    else this.#emit({ kind: 'add-skipped', level: 'info', name: type.name, status: result.status });
    return result;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Writes this engine's session row and releases the tasks of lapsed sessions. start() does this itself; call it
   * directly to drive the engine step by step (pollOnce, heartbeat) without the background loops.
   */
  async join(): Promise<void> {
    if (this.#state !== 'new') throw new TaskEngineError('ENGINE_STATE', `cannot join: the engine is ${this.#state}`);
    const sessionId = this.#sessionId;
    await this.#retry('join', () =>
      this.#sql.transaction((tx) => tx.sessions.insert({ sessionId, nowMs: this.#clock.now() })),
    );
    this.#state = 'joined';
    this.#emit({ kind: 'joined', level: 'info', sessionId });
    await this.releaseLapsedSessions();
  }

  /** join() if needed, then the heartbeat loop and the poll loop (first poll after firstPollDelayMs). */
  async start(): Promise<void> {
    if (this.#state === 'new') await this.join();
    if (this.#state !== 'joined') throw new TaskEngineError('ENGINE_STATE', `cannot start: the engine is ${this.#state}`);
    this.#state = 'running';
    this.#loops = [this.#pollLoop(), this.#heartbeatLoop()];
  }

  /**
   * Graceful stop: no more polls or heartbeats, wait up to `timeoutMs` for running attempts (their results are
   * applied as usual), then abort the rest (ctx.signal), release every task this session still owns and delete
   * the session row. Attempts that end later only write their task_history row.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<StopResult> {
    this.#stopped ??= this.#stop(options.timeoutMs ?? this.#options.stopTimeoutMs);
    return this.#stopped;
  }

  async #stop(timeoutMs: number): Promise<StopResult> {
    const joined = this.#state !== 'new';
    this.#state = 'stopping';
    this.#pollTimer.wake();
    this.#heartbeatTimer.wake();
    await Promise.allSettled([...this.#loops, this.#polling, this.#beating]);
    if (!joined) {
      this.#state = 'stopped';
      return { unfinished: 0, released: 0 };
    }
    await waitAtMost(this.settled(), timeoutMs);
    const unfinished = this.#running.size;
    this.#abort.abort(new Error('task engine stopped'));
    const sessionId = this.#sessionId;
    const released = await this.#retry('stop', () =>
      this.#sql.transaction(async (tx) => {
        const n = await tx.tasks.releaseSession({ sessionId });
        await tx.sessions.delete({ sessionIds: [sessionId] });
        return n;
      }),
    );
    this.#state = 'stopped';
    const result = { unfinished, released };
    this.#emit({ kind: 'stopped', level: 'info', sessionId, ...result });
    return result;
  }

  /** Resolves once no attempt is running (including those that start while waiting). */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Heartbeat and lapsed sessions

  /**
   * Writes the heartbeat, then releases lapsed sessions. If this session's row is gone (another engine presumed
   * it dead and released its tasks), the engine continues under a new session id; attempts still running under
   * the old id finish without touching their tasks.
   */
  async heartbeat(): Promise<void> {
    this.#assertJoined('heartbeat');
    const next = this.#beating.then(() => this.#heartbeat());
    this.#beating = next.catch(() => {});
    return next;
  }

  async #heartbeat(): Promise<void> {
    const sessionId = this.#sessionId;
    const alive = await this.#retry('heartbeat', () =>
      this.#sql.transaction((tx) => tx.sessions.beat({ sessionId, nowMs: this.#clock.now() })),
    );
    if (!alive) {
      const next = this.#newSessionId(this.#clock.now());
      await this.#retry('heartbeat', () =>
        this.#sql.transaction((tx) => tx.sessions.insert({ sessionId: next, nowMs: this.#clock.now() })),
      );
      this.#sessionId = next;
      this.#emit({ kind: 'session-lost', level: 'warn', previousSessionId: sessionId, sessionId: next });
    }
    await this.releaseLapsedSessions();
  }

  /**
   * Deletes the rows of sessions (other than this one) whose heartbeat is older than heartbeatTimeoutMs and
   * releases their tasks, together with tasks owned by sessions that have no row (crashed before piri-db tracked
   * sessions, e.g. Piri's own). Tasks of live sessions are never touched.
   */
  async releaseLapsedSessions(): Promise<LapsedSessions> {
    this.#assertJoined('releaseLapsedSessions');
    const nowMs = this.#clock.now();
    const cutoffMs = nowMs - this.#options.heartbeatTimeoutMs;
    const exceptSessionId = this.#sessionId;
    const result = await this.#retry('releaseLapsedSessions', () =>
      this.#sql.transaction(async (tx) => {
        const sessions = await tx.sessions.lapsed({ cutoffMs, exceptSessionId });
        if (sessions.length > 0) await tx.sessions.delete({ sessionIds: sessions.map((s) => s.sessionId) });
        const tasks = await tx.tasks.releaseOrphaned();
        return { sessions, tasks, nowMs, cutoffMs };
      }),
    );
    if (result.sessions.length > 0 || result.tasks > 0) {
      this.#emit({ kind: 'lapsed-released', level: 'info', ...result });
      if (result.tasks > 0) this.#nudge();
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Polling and running

  /** One poll over every registered type; returns how many tasks were claimed (and started). */
  async pollOnce(): Promise<number> {
    this.#assertJoined('pollOnce');
    const next = this.#polling.then(() => this.#poll());
    this.#polling = next.catch(() => 0);
    return next;
  }

  async #poll(): Promise<number> {
    let total = 0;
    for (const type of this.#types.values()) {
      if (this.#state !== 'joined' && this.#state !== 'running') break;
      const capacity = type.maxInFlight - (this.#inFlight.get(type.name) ?? 0);
      if (capacity <= 0) continue;
      const sessionId = this.#sessionId;
      const claimed = await this.#claim(type, capacity, sessionId);
      if (claimed.length === 0) continue;
      this.#emit({ kind: 'claimed', level: 'debug', name: type.name, taskIds: claimed.map((t) => t.id) });
      for (const task of claimed) this.#run(type, task, sessionId);
      total += claimed.length;
    }
    return total;
  }

  #claim(type: TaskType, capacity: number, sessionId: string): Promise<OwnedTask[]> {
    const nowMs = this.#clock.now();
    // Without retryWait every unowned task is eligible: read exactly what can be claimed. With it, read pages
    // and filter, up to claimScanLimit rows (Piri read them all).
    const pageSize = type.retryWait ? Math.max(capacity, Math.min(256, this.#options.claimScanLimit)) : capacity;
    return this.#sql.transaction(async (tx) => {
      const picked: number[] = [];
      let after: TaskCursor | undefined;
      let scanned = 0;
      for (;;) {
        const page = await tx.tasks.claimable({ name: type.name, limit: pageSize, after });
        scanned += page.length;
        for (const candidate of page) {
          if (picked.length < capacity && isEligible(type, candidate, nowMs)) picked.push(candidate.id);
        }
        if (picked.length >= capacity || page.length < pageSize || scanned >= this.#options.claimScanLimit) break;
        after = page.at(-1)!;
      }
      return picked.length === 0 ? [] : tx.tasks.claim({ ids: picked, sessionId, nowMs });
    });
  }

  #run(type: TaskType, task: OwnedTask, sessionId: string): void {
    this.#inFlight.set(type.name, (this.#inFlight.get(type.name) ?? 0) + 1);
    const ctx: TaskContext = {
      taskId: task.id,
      name: type.name,
      retries: task.retries,
      sessionId,
      signal: this.#abort.signal,
    };
    const workStartMs = this.#clock.now();
    const attempt = (async () => {
      let outcome: Outcome;
      try {
        outcome = outcomeOfResult(await type.do(task.id, ctx));
      } catch (thrown) {
        outcome = outcomeOfThrown(thrown);
      }
      await this.#finish(type, task, sessionId, workStartMs, outcome);
    })();
    const tracked = attempt
      .catch((error: unknown) => this.#emit({ kind: 'finish-failed', level: 'error', taskId: task.id, name: type.name, error }))
      .finally(() => {
        this.#running.delete(tracked);
        const inFlight = (this.#inFlight.get(type.name) ?? 1) - 1;
        this.#inFlight.set(type.name, inFlight);
        // Claim in batches: poll now once half the type's slots are free, otherwise within the busy interval.
        if (type.maxInFlight - inFlight >= Math.ceil(type.maxInFlight / 2)) this.#nudge();
        else if (this.#state === 'running') this.#pollTimer.shorten(this.#options.busyPollIntervalMs);
      });
    this.#running.add(tracked);
  }

  async #finish(type: TaskType, task: OwnedTask, sessionId: string, workStartMs: number, outcome: Outcome): Promise<void> {
    const workEndMs = this.#clock.now();
    const history = {
      taskId: task.id,
      name: type.name,
      postedMs: task.postedMs,
      workStartMs,
      workEndMs,
      result: outcome.kind === 'done',
      err: outcome.err,
      completedBySessionId: sessionId,
    };
    try {
      const effect = await this.#retry('finish', () =>
        this.#sql.transaction(async (tx): Promise<FinishEffect> => {
          const owned = { id: task.id, sessionId };
          let effect: FinishEffect;
          if (outcome.kind === 'done') {
            effect = (await tx.tasks.deleteOwned(owned)) ? 'deleted' : 'not-owned';
          } else if (outcome.kind === 'deferred') {
            effect = (await tx.tasks.release({ ...owned, nowMs: workEndMs })) ? 'released' : 'not-owned';
          } else if (type.maxFailures > 0 && (await tx.tasks.deleteOwnedIfExhausted({ ...owned, maxFailures: type.maxFailures }))) {
            effect = 'dropped';
          } else {
            effect = (await tx.tasks.releaseForRetry({ ...owned, nowMs: workEndMs })) ? 'retry' : 'not-owned';
          }
          await tx.taskHistory.insert(history);
          return effect;
        }),
      );
      this.#emit({
        kind: 'finished',
        level: effect === 'not-owned' || effect === 'dropped' ? 'warn' : 'debug',
        taskId: task.id,
        name: type.name,
        sessionId,
        outcome: outcome.kind,
        effect,
        err: outcome.err,
      });
    } catch (error) {
      this.#emit({ kind: 'finish-failed', level: 'error', taskId: task.id, name: type.name, error });
      // Do not keep a task we can no longer finish: hand it back (best effort; stop() would release it anyway).
      await this.#sql
        .transaction((tx) => tx.tasks.release({ id: task.id, sessionId, nowMs: this.#clock.now() }))
        .catch((releaseError: unknown) =>
          this.#emit({ kind: 'release-failed', level: 'warn', taskId: task.id, name: type.name, error: releaseError }),
        );
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Loops

  async #pollLoop(): Promise<void> {
    await this.#pollTimer.sleep(this.#options.firstPollDelayMs);
    while (this.#state === 'running') {
      let claimed = 0;
      try {
        claimed = await this.pollOnce();
      } catch (error) {
        this.#emit({ kind: 'poll-failed', level: 'error', error });
      }
      if (this.#state !== 'running') break;
      await this.#pollTimer.sleep(claimed > 0 ? this.#options.busyPollIntervalMs : this.#options.idlePollIntervalMs);
    }
  }

  async #heartbeatLoop(): Promise<void> {
    for (;;) {
      await this.#heartbeatTimer.sleep(this.#options.heartbeatIntervalMs);
      if (this.#state !== 'running') break;
      try {
        await this.heartbeat();
      } catch (error) {
        this.#emit({ kind: 'heartbeat-failed', level: 'error', error });
      }
    }
  }

  /** Something may be claimable now (slots freed, a task added here, tasks released): poll without waiting. */
  #nudge(): void {
    if (this.#state === 'running') this.#pollTimer.wake();
  }

  #assertJoined(operation: string): void {
    if (this.#state !== 'joined' && this.#state !== 'running') {
      throw new TaskEngineError('ENGINE_STATE', `${operation}: the engine is ${this.#state}, join() or start() it first`);
    }
  }

  #retry<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return retryOnLock(this.#sql, this.#lockRetry, fn, (attempt, delayMs) =>
      this.#emit({ kind: 'lock-retry', level: 'debug', operation, attempt, delayMs }),
    );
  }
}

function defaultOnEvent(event: TaskEngineEvent): void {
  if (event.level !== 'warn' && event.level !== 'error') return;
  const { kind, level, ...fields } = event;
  const error = 'error' in fields ? messageOf(fields.error) : undefined;
  console.error(`piri-db task engine ${level}: ${kind}`, error === undefined ? fields : { ...fields, error });
}

/** The default onEvent: warn and error events to `logger` (as `task engine <kind>`, flat fields), or to stderr without one. */
function logEvents(logger: JobQueueLogger | undefined): (event: TaskEngineEvent) => void {
  if (logger === undefined) return defaultOnEvent;
  return (event) => {
    if (event.level !== 'warn' && event.level !== 'error') return;
    const { kind, level, ...rest } = event;
    const fields: Record<string, LogFields[string]> = {};
    for (const [key, value] of Object.entries(rest)) {
      if (key === 'error') fields[key] = messageOf(value);
      else if (value === undefined || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields[key] = value;
      else fields[key] = JSON.stringify(value);
    }
    logger[level](`task engine ${kind}`, fields);
  };
}
