import { parseGoDuration } from '../../config/duration.ts';
import {
  type DeadLetterActionReport,
  type DeadLetterReport,
  listDeadLetters,
  purgeDeadLetters,
  type QueueStatsReport,
  QueueSelectionError,
  queueStats,
  requeueDeadLetters,
} from '../../operations/queues.ts';
import type { DeadLetterFilter } from '../../queue/types.ts';
import { errorMessage } from '../../narrow.ts';
import { type CommandResult, type FlagValues, positiveInteger, UsageError } from '../command.ts';
import { configFromFlags } from '../load-config.ts';

/**
 * `queue stats` and `queue dead list|requeue|purge`: the registry's queues, every one by default, narrowed with
 * --store and --queue. stats and list read (safe beside a running piri); requeue and purge write, and on SQLite
 * are refused while piri runs (the writer lock). Which flags each subcommand takes is declared in program.ts.
 */
const FILTER = ['job-name', 'older-than', 'ids', 'limit'] as const;

export type QueueSubcommand = 'stats' | 'dead list' | 'dead requeue' | 'dead purge';

const SELECTION_FLAG: Record<QueueSelectionError['argument'], string> = { store: '--store', queue: '--queue', ids: '--ids', all: '--all' };

export async function run(sub: QueueSubcommand, flags: FlagValues): Promise<CommandResult> {
  try {
    return await runSubcommand(sub, flags);
  } catch (error) {
    if (error instanceof QueueSelectionError) throw new UsageError(`${SELECTION_FLAG[error.argument]}: ${error.message}`);
    throw error;
  }
}

async function runSubcommand(sub: QueueSubcommand, flags: FlagValues): Promise<CommandResult> {
  const json = flags.json === true;
  const store = stringFlag(flags, 'store');
  const queue = stringFlag(flags, 'queue');
  const selection = { ...(store === undefined ? {} : { store }), ...(queue === undefined ? {} : { queue }) };
  if (sub === 'stats') {
    const report = await queueStats(configFromFlags(flags), selection);
    return { output: json ? JSON.stringify(report, null, 2) : describeStats(report) };
  }
  const filter = deadLetterFilter(flags);
  if (filter.ids !== undefined && selection.queue === undefined) throw new UsageError('--ids needs --queue: message ids belong to one queue');
  if (sub === 'dead list') {
    const withBody = flags['with-body'] === true;
    if (withBody && !json) throw new UsageError('--with-body needs --json (text output never prints message bodies)');
    const report = await listDeadLetters(configFromFlags(flags), { ...selection, filter });
    return { output: json ? JSON.stringify(deadLettersJson(report, withBody), null, 2) : describeDeadLetters(report) };
  }
  let report: DeadLetterActionReport;
  if (sub === 'dead requeue') {
    report = await requeueDeadLetters(configFromFlags(flags), { ...selection, filter });
  } else {
    const all = flags.all === true;
    const filtered = FILTER.some((flag) => flags[flag] !== undefined);
    if (all && filtered) throw new UsageError('--all purges every dead letter of the selected queues: drop it, or the filters');
    if (!all && !filtered) {
      throw new UsageError('queue dead purge needs a filter (--ids, --job-name, --older-than, --limit), or --all to purge every dead letter of the selected queues');
    }
    report = await purgeDeadLetters(configFromFlags(flags), { ...selection, filter, all });
  }
  return { output: json ? JSON.stringify(report, null, 2) : describeAction(report) };
}

function stringFlag(flags: FlagValues, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} must not be empty`);
  return value;
}

/** The filter flags, checked; movedBefore is now minus --older-than. */
function deadLetterFilter(flags: FlagValues): DeadLetterFilter {
  const filter: { ids?: string[]; jobName?: string; movedBefore?: Date; limit?: number } = {};
  const ids = flags.ids;
  if (typeof ids === 'string') {
    const list = ids.split(',').map((id) => id.trim());
    if (list.some((id) => id === '')) throw new UsageError(`--ids must be a comma-separated list of message ids, got ${JSON.stringify(ids)}`);
    filter.ids = list;
  }
  // Empty is a valid job name: a swept plain-queue message whose body was not an envelope has none.
  if (typeof flags['job-name'] === 'string') filter.jobName = flags['job-name'];
  const olderThan = flags['older-than'];
  if (typeof olderThan === 'string') {
    let ms: number;
    try {
      ms = parseGoDuration(olderThan);
    } catch (error) {
      throw new UsageError(`invalid --older-than: ${errorMessage(error)} (a duration such as 90m, 24h or 168h)`);
    }
    if (ms < 0) throw new UsageError('invalid --older-than: must not be negative');
    filter.movedBefore = new Date(Date.now() - ms);
  }
  const limit = positiveInteger(flags, 'limit');
  if (limit !== undefined) filter.limit = limit;
  return filter;
}

function describeStats(report: QueueStatsReport): string {
  const header = ['store', 'queue', 'ready', 'in flight', 'delayed', 'exhausted', 'dead', 'oldest'];
  const rows = report.queues.map((q) => {
    const live = q.ready + q.inFlight + q.delayed + q.exhausted;
    return [q.store, q.queue, q.ready, q.inFlight, q.delayed, q.exhausted, q.dead, live === 0 ? '-' : formatAge(q.oldestAgeMs)].map(String);
  });
  const lines = table(header, rows, [false, false, true, true, true, true, true, true]);
  lines.push(`${report.queues.length} queue(s) of ${report.location}, at ${report.at.toISOString()}`);
  return lines.join('\n');
}

function describeDeadLetters(report: DeadLetterReport): string {
  if (report.deadLetters.length === 0) return `no dead letters match (${report.location})`;
  const header = ['id', 'queue', 'job name', 'reason', 'deliveries', 'moved at', 'error'];
  const rows = report.deadLetters.map((d) => [
    printable(d.id),
    d.queue,
    printable(d.jobName),
    printable(d.reason),
    String(d.received),
    d.movedAt.toISOString(),
    firstLine(d.error),
  ]);
  const lines = table(header, rows, [false, false, false, false, true, false, false]);
  const queues = new Set(report.deadLetters.map((d) => `${d.store}/${d.queue}`)).size;
  lines.push(`${report.deadLetters.length} dead letter(s) in ${queues} queue(s) (bodies not shown; --json --with-body includes them)`);
  return lines.join('\n');
}

function deadLettersJson(report: DeadLetterReport, withBody: boolean) {
  return {
    backend: report.backend,
    location: report.location,
    deadLetters: report.deadLetters.map((d) => ({
      id: d.id,
      store: d.store,
      queue: d.queue,
      kind: d.kind,
      jobName: d.jobName,
      reason: d.reason,
      error: d.error,
      movedAt: d.movedAt.toISOString(),
      deliveries: d.received,
      ...(withBody ? { body: d.body.toString('base64') } : {}),
    })),
  };
}

function describeAction(report: DeadLetterActionReport): string {
  const verb = report.action === 'requeue' ? 'requeued' : 'purged';
  const lines = report.queues.map((q) => {
    const note = report.action === 'requeue' && q.kind === 'dedup' && q.count > 0 ? ' (dedup: one whose key is queued again or done since is dropped instead)' : '';
    return `${q.store}/${q.queue}: ${q.count} ${verb}${note}`;
  });
  lines.push(`${verb} ${report.total} dead letter(s) in ${report.queues.length} queue(s) of ${report.location}`);
  return lines.join('\n');
}

/** Columns padded to their widest cell; the last one is not padded. */
function table(header: string[], rows: string[][], rightAligned: boolean[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : rightAligned[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const ERROR_WIDTH = 80;

/** The error's first line, at most ERROR_WIDTH characters; an ellipsis says more was cut. */
function firstLine(error: string): string {
  const [first = ''] = error.split(/\r?\n/);
  const cut = first.length > ERROR_WIDTH ? `${first.slice(0, ERROR_WIDTH - 1)}…` : first !== error ? `${first} …` : first;
  return printable(cut);
}

/**
 * Text that came from job data (ids, job names, errors) with control and bidi characters escaped, so nothing
 * in a dead letter can move the cursor, recolour or reorder an operator's terminal.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** 850ms, 42s, 5m3s, 3h12m, 2d4h. */
function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}
