/** Reading what worker processes (test/fixtures/queue-worker.ts) report. */
import { createInterface } from 'node:readline';
import type { Child } from './child.ts';

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
