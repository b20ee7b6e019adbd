/**
 * SIGTERM to a worker process with jobs in flight (stopOnSignals): a job that finishes within the budget writes its
 * outcome, a job still running when the budget ends and the jobs claimed ahead are given back, and nothing is lost.
 * What was given back is receivable at once, with no delivery spent, instead of after its visibility window.
 */
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { spawnFixture } from '../support/child.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { tableRows } from '../support/queues.ts';

const FAST = 20;
const BUDGET_MS = 3_000;

forEachBackend('SIGTERM with jobs in flight', (backend) => {
  it('finishes what fits in the budget, gives the rest back undelivered, and loses nothing', async () => {
    const config = await freshConfig(backend);
    const payloads = ['medium:0', 'slow:0', ...Array.from({ length: FAST }, (_, i) => `fast:${i}`)];
    // The parent closes before the worker starts: a SQLite data dir has one writer.
    let dbs = await openDatabases(config);
    for (const payload of payloads) await dbs.replicator.queue('replication').send(encode('transfer-task', Buffer.from(payload)));
    await dbs.close();

    const child = spawnFixture('graceful-worker.ts', config, String(BUDGET_MS));
    const events: { event: string; payload?: string; message?: string; fields?: Record<string, unknown> }[] = [];
    createInterface({ input: child.process.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
    await child.next('ready');
    // Both workers busy: the medium job (1.5 s) and the slow one (until aborted); more are claimed ahead.
    for (;;) {
      const started = events.filter((e) => e.event === 'started').map((e) => e.payload);
      if (started.includes('medium:0') && started.includes('slow:0')) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    child.process.kill('SIGTERM');
    await child.next('stopped');
    expect(await child.exit).toMatchObject({ code: 0, stderr: '' });

    const handled = events.filter((e) => e.event === 'handled').map((e) => e.payload!);
    expect(handled).toContain('medium:0');
    expect(handled).not.toContain('slow:0');
    expect(events.filter((e) => e.event === 'log'), JSON.stringify(events)).toEqual([
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/released/), fields: expect.objectContaining({ released: 1 }) }),
    ]);

    dbs = await openDatabases(config);
    try {
      const queue = dbs.replicator.queue('replication');
      // Nothing lost: every job either succeeded (and is gone) or is back in the queue, ready now, never delivered.
      const rows = await tableRows(dbs.replicator, 'jobqueue');
      const left = rows.map((r) => Buffer.from(r.body).toString()).map((body) => body.slice(body.indexOf('"message":"') + 11, body.indexOf('"}')));
      const leftPayloads = left.map((b64) => Buffer.from(b64, 'base64').toString());
      expect([...handled, ...leftPayloads].sort()).toEqual([...payloads].sort());
      expect(leftPayloads).toContain('slow:0');
      expect(rows.map((r) => r.received)).toEqual(rows.map(() => 0));
      expect(await queue.stats()).toMatchObject({ ready: rows.length, inFlight: 0, delayed: 0, dead: 0 });
    } finally {
      await dbs.close();
    }
  }, 60_000);
});
