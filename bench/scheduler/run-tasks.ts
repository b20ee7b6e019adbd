/**
 * `npx tsx bench/scheduler/run-tasks.ts [--tasks N] [--sends N] [--senders 1,4,16] [--retry-ms 100] [--backend sqlite|postgres]`:
 * runs bench/scheduler/tasks.ts alone and prints its markdown table (bench/run.ts wires it into docs/benchmarks.md).
 */
import { startBenchPostgres } from '../support/postgres.ts';
import { benchSchedulerTasks, schedulerTasksMarkdown, type TaskBenchOptions } from './tasks.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const list = (value: string | undefined) => value?.split(',').map(Number);

const options: TaskBenchOptions = {
  tasks: arg('tasks') ? Number(arg('tasks')) : undefined,
  sends: arg('sends') ? Number(arg('sends')) : undefined,
  senders: list(arg('senders')),
  lockRetryMs: list(arg('retry-ms')),
  backends: arg('backend') ? [arg('backend') as 'sqlite' | 'postgres'] : undefined,
};
const postgres = await startBenchPostgres();
try {
  console.log(schedulerTasksMarkdown(await benchSchedulerTasks(postgres, options)));
} finally {
  await postgres.stop();
}
