/**
 * Progress of long commands, on stderr so stdout stays the result: cli-progress's bar when stderr is a terminal,
 * otherwise plain lines (a step begins, every tenth of a big table, a table done), which logs keep readably.
 * Both show the rate and the time left of the current step, counted from when that step began.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Progress, ProgressListener } from '../operations/progress.ts';

export interface ProgressDisplay {
  readonly listener: ProgressListener;
  /** Clears the bar; call before anything else is written. */
  end(): void;
}

export function progressDisplay(command: string, stream: NodeJS.WriteStream = process.stderr, now = () => performance.now()): ProgressDisplay {
  return stream.isTTY ? bar(command, stream, now) : lines(command, stream, now);
}

type RowsEvent = Extract<Progress, { kind: 'rows' }>;

/** Rows per second since the step began, and the time left at that rate: "1200 rows/s, ETA 42s". */
function speed(now: () => number) {
  let started = now();
  return {
    restart: () => (started = now()),
    describe(event: RowsEvent): string {
      const seconds = (now() - started) / 1000;
      if (seconds <= 0 || event.overallDone === 0) return 'rate -, ETA -';
      const rate = event.overallDone / seconds;
      const left = Math.max(0, event.overallTotal - event.overallDone) / rate;
      return `${Math.round(rate)} rows/s, ETA ${formatSeconds(left)}`;
    },
  };
}

function formatSeconds(seconds: number): string {
  const s = Math.ceil(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** cli-progress's bar, one per step: a step's line is written between two bars, never over one. */
function bar(command: string, stream: NodeJS.WriteStream, now: () => number): ProgressDisplay {
  const timing = speed(now);
  let progress: SingleBar | undefined;
  const stop = () => {
    progress?.stop();
    progress = undefined;
  };
  return {
    listener(event: Progress) {
      if (event.kind === 'step') {
        stop();
        timing.restart();
        stream.write(`${command}: ${event.message}\n`);
        return;
      }
      const payload = { speed: timing.describe(event), table: `${event.store}.${event.table} ${event.done}/${event.total}` };
      if (progress) {
        progress.update(event.overallDone, payload);
        return;
      }
      progress = new SingleBar(
        { stream, format: '[{bar}] {percentage}% {speed}  {table}', barsize: 30, clearOnComplete: true, hideCursor: true, linewrap: false },
        Presets.legacy,
      );
      progress.start(event.overallTotal, event.overallDone, payload);
    },
    end: stop,
  };
}

function lines(command: string, stream: NodeJS.WriteStream, now: () => number): ProgressDisplay {
  const timing = speed(now);
  let lastTenth = -1;
  let table = '';
  return {
    listener(event: Progress) {
      if (event.kind === 'step') {
        timing.restart();
        table = '';
        stream.write(`${command}: ${event.message}\n`);
        return;
      }
      const name = `${event.store}.${event.table}`;
      if (name !== table) {
        table = name;
        lastTenth = 0;
      }
      if (event.total === 0) return;
      const tenth = Math.floor((event.done / event.total) * 10);
      if (event.done === event.total || tenth > lastTenth) {
        lastTenth = tenth;
        const overall = event.overallTotal === 0 ? 100 : Math.floor((event.overallDone / event.overallTotal) * 100);
        stream.write(`${command}: ${name} ${event.done}/${event.total} rows (${overall}% of all rows, ${timing.describe(event)})\n`);
      }
    },
    end() {},
  };
}
