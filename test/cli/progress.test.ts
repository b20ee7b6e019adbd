import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/cli/progress.ts';

function stream(isTTY: boolean) {
  let text = '';
  return { isTTY, columns: 120, write: (chunk: string) => ((text += chunk), true), text: () => text };
}

/** A clock the test moves: every event below happens one second after the previous one. */
function clock() {
  let ms = 0;
  return { now: () => ms, tick: () => (ms += 1000) };
}

const rows = (done: number, total: number, overallDone: number) =>
  ({ kind: 'rows', store: 'replicator', table: 'jobqueue', done, total, overallDone, overallTotal: 200 }) as const;

describe('progress on stderr', () => {
  it('draws a cli-progress bar with rate and ETA on a terminal, below the step lines, and clears it at the end', () => {
    const tty = stream(true);
    const time = clock();
    const display = progressDisplay('copy', tty as unknown as NodeJS.WriteStream, time.now);
    display.listener({ kind: 'step', message: 'migrating' });
    time.tick();
    display.listener(rows(50, 100, 150));
    time.tick();
    display.listener(rows(100, 100, 200));
    display.end();
    const text = tty.text();
    expect(text.startsWith('copy: migrating\n')).toBe(true);
    expect(text).toContain(`[${'='.repeat(23)}${'-'.repeat(7)}] 75% 150 rows/s, ETA 1s  replicator.jobqueue 50/100`);
    // Cleared at the end: the line is erased and the cursor shown again.
    expect(text.endsWith('\x1b[2K')).toBe(true);
    expect(text).toContain('\x1b[?25h');
  });

  it('writes plain lines otherwise: steps, every tenth of a table, its end, with rate and ETA', () => {
    const plain = stream(false);
    const time = clock();
    const display = progressDisplay('backup', plain as unknown as NodeJS.WriteStream, time.now);
    display.listener({ kind: 'step', message: 'backing up' });
    for (let done = 0; done <= 100; done += 5) {
      time.tick();
      display.listener(rows(done, 100, done * 2));
    }
    display.end();
    const lines = plain.text().trim().split('\n');
    expect(lines[0]).toBe('backup: backing up');
    expect(lines.slice(1)).toHaveLength(10);
    expect(lines[1]).toBe('backup: replicator.jobqueue 10/100 rows (10% of all rows, 7 rows/s, ETA 27s)');
    expect(lines.at(-1)).toBe('backup: replicator.jobqueue 100/100 rows (100% of all rows, 10 rows/s, ETA 0s)');
    expect(plain.text()).not.toContain('\r');
  });
});
