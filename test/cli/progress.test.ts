import { describe, expect, it } from 'vitest';
import { progressDisplay } from '../../src/cli/progress.ts';

function stream(isTTY: boolean) {
  let text = '';
  return { isTTY, columns: 100, write: (chunk: string) => ((text += chunk), true), text: () => text };
}

const rows = (done: number, total: number, overallDone: number) =>
  ({ kind: 'rows', store: 'replicator', table: 'jobqueue', done, total, overallDone, overallTotal: 200 }) as const;

describe('progress on stderr', () => {
  it('draws one bar, redrawn in place, on a terminal, and clears it at the end', () => {
    const tty = stream(true);
    const display = progressDisplay('copy', tty as unknown as NodeJS.WriteStream);
    display.listener({ kind: 'step', message: 'migrating' });
    display.listener(rows(50, 100, 150));
    display.listener(rows(100, 100, 200));
    display.end();
    expect(tty.text()).toBe(
      'copy: migrating\n' +
        `[${'#'.repeat(23)}${' '.repeat(7)}]  75% replicator.jobqueue 50/100` +
        `\r\x1b[2K[${'#'.repeat(30)}] 100% replicator.jobqueue 100/100` +
        '\r\x1b[2K',
    );
  });

  it('writes plain lines otherwise: steps, every tenth of a table, its end', () => {
    const plain = stream(false);
    const display = progressDisplay('backup', plain as unknown as NodeJS.WriteStream);
    display.listener({ kind: 'step', message: 'backing up' });
    for (let done = 0; done <= 100; done += 5) display.listener(rows(done, 100, 100 + done));
    display.end();
    const lines = plain.text().trim().split('\n');
    expect(lines[0]).toBe('backup: backing up');
    expect(lines.slice(1)).toHaveLength(10);
    expect(lines.at(-1)).toBe('backup: replicator.jobqueue 100/100 rows (100% of all rows)');
    expect(plain.text()).not.toContain('\r');
  });
});
