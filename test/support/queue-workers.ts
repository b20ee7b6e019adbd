/** Reading what worker processes (test/fixtures/queue-worker.ts) report. */
import { createInterface } from 'node:readline';
import type postgres from 'postgres';
import type { Config } from '../../src/config/load.ts';
import { type Child, spawnFixture } from './child.ts';

/** One handled job as a worker process reports it. */
export interface Handled {
  readonly seq: number;
  readonly messageId: string;
  readonly delivery: number;
  readonly pid: number;
}

/** Every `handled` and `log` line a child writes (Child.next only keeps the first of an event). */
export function collect(child: Child, handled: Handled[], logs: unknown[]): void {
  const pid = child.process.pid!;
  createInterface({ input: child.process.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { event: string; jobs?: [number, string, number][] };
    if (message.event === 'log') logs.push(message);
    if (message.event !== 'handled') return;
    for (const [seq, messageId, delivery] of message.jobs!) handled.push({ seq, messageId, delivery, pid });
  });
}

/** What worker processes report while they run: every handled job and every log line. */
export interface WorkerReports {
  readonly handled: Handled[];
  readonly logs: unknown[];
}

/**
 * Spawns `count` worker processes (pushed onto `children`, for the caller's cleanup) in mode "record", and starts
 * them together once all are open and registered, so that they compete for the whole backlog.
 */
export async function startWorkers(children: Child[], config: Config, count: number, maxWorkers: number): Promise<WorkerReports> {
  const reports: WorkerReports = { handled: [], logs: [] };
  const options = JSON.stringify({ mode: 'record', maxWorkers, pollIntervalMs: 20, startOn: 'signal' });
  for (let i = 0; i < count; i++) {
    const child = spawnFixture('queue-worker.ts', config, options);
    collect(child, reports.handled, reports.logs);
    children.push(child);
  }
  await Promise.all(children.map((child) => child.next('ready')));
  for (const child of children) child.process.kill('SIGUSR2');
  return reports;
}

/** Until the replicator's queue table is empty: every message deleted, which the runtime does only after its handler. */
export async function drained(sql: postgres.Sql): Promise<void> {
  for (;;) {
    const [{ n }] = await sql<[{ n: number }]>`SELECT count(*)::int AS n FROM replicator.jobqueue`;
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGTERM to every child; returns their `stopped` reports and exits. */
export async function stopWorkers(children: readonly Child[]) {
  for (const child of children) child.process.kill('SIGTERM');
  const stopped = await Promise.all(children.map((child) => child.next('stopped')));
  const exits = await Promise.all(children.map((child) => child.exit));
  return { stopped, exits };
}
