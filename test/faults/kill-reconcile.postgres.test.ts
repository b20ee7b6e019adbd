/**
 * SIGKILL at random points of send, claim, complete and dead-letter, on PostgreSQL, for the plain and the dedup
 * queue at once: a sender and a worker process side by side, killed and replaced independently; the worker once at
 * a random moment and once at each kill point, the sender at random, mid-send or right after a commit, for as long as
 * the worker is being killed. Then an exact reconciliation of what the killed processes recorded outside the
 * database with what the tables hold (test/faults/support/kill-scenario.ts has the whole story and every check).
 * SQLite is in kill-reconcile.sqlite.test.ts: one file per backend keeps each well under a minute.
 */
import { describe, expect, it } from 'vitest';
import { killAndReconcile } from './support/kill-scenario.ts';

describe('processes SIGKILLed while sending and working [postgres]', () => {
  it(
    'reconciles exactly, for both queues: every committed send is done, dead or queued, in one place, none lost',
    async () => {
      const outcome = await killAndReconcile('postgres');
      console.info(`kill-reconcile [postgres]: ${JSON.stringify(outcome)}`);
      for (const summary of [outcome.plain, outcome.dedup]) {
        expect(summary.committed).toBe(summary.done + summary.dead + summary.queued);
      }
    },
    // A bound for a loaded machine; the scenario waits for states, never for times.
    120_000,
  );
});
