/**
 * The producer of the wake-up latency bench, a process of its own: sends `count` jobs one at a time, `spacingMs`
 * apart so that the consumer's queue is idle before each, every payload carrying the time just before its send
 * (performance.timeOrigin + now: comparable across processes on one machine). Args: one JSON object.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { makeWorkerUtils } from 'graphile-worker';
import { encode } from '../../src/queue/envelope.ts';
import { openDatabases } from '../../src/stores/open.ts';
import type { Config } from '../../src/config/load.ts';

interface Args {
  readonly system: 'piri-db' | 'graphile-worker';
  readonly config: Config;
  readonly queue: string;
  readonly count: number;
  readonly spacingMs: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const stamp = () => String(performance.timeOrigin + performance.now());

if (args.system === 'piri-db') {
  const dbs = await openDatabases(args.config);
  const queue = dbs.replicator.queue(args.queue);
  for (let i = 0; i < args.count; i++) {
    await sleep(args.spacingMs);
    await queue.send(encode('bench', Buffer.from(stamp())));
  }
  await dbs.close();
} else {
  if (args.config.database.type !== 'postgres') throw new Error('graphile-worker runs on PostgreSQL');
  const utils = await makeWorkerUtils({ connectionString: args.config.database.postgres.url });
  for (let i = 0; i < args.count; i++) {
    await sleep(args.spacingMs);
    await utils.addJob(args.queue, { t: stamp() });
  }
  await utils.release();
}
