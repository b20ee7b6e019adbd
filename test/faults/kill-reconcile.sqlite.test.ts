/**
 * SIGKILL at random points of send, claim, complete and dead-letter, on SQLite, for the plain and the dedup queue at
 * once: one process sends and works (SQLite allows one writer per data dir); it is killed and replaced 8 times, once
 * at a random moment and once at each kill point. Then an exact reconciliation of what the killed processes recorded
 * outside the database with what the tables hold (test/faults/support/kill-scenario.ts has the whole story and every
 * check). PostgreSQL is in kill-reconcile.postgres.test.ts: one file per backend keeps each well under a minute.
 */
import { describe, expect, it } from 'vitest';
import { killAndReconcile } from './support/kill-scenario.ts';

describe('processes SIGKILLed while sending and working [sqlite]', () => {
  it(
    'reconciles exactly, for both queues: every committed send is done, dead or queued, in one place, none lost',
    async () => {
      const outcome = await killAndReconcile('sqlite');
      console.info(`kill-reconcile [sqlite]: ${JSON.stringify(outcome)}`);
      for (const summary of [outcome.plain, outcome.dedup]) {
        expect(summary.committed).toBe(summary.done + summary.dead + summary.queued);
      }
    },
    // A bound for a loaded machine; the scenario waits for states, never for times.
    120_000,
  );
});
