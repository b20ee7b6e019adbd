import { beforeAll, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { listDeadLetters, purgeDeadLetters, QueueSelectionError } from '../../src/operations/queues.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { runCli } from '../support/child.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { MARKER, prepareQueues, type QueueState } from './queue-state.ts';

function flagsOf(config: Config): string[] {
  const flags = ['--data-dir', config.dataDir];
  return config.database.type === 'sqlite' ? flags : [...flags, '--db-type', 'postgres', '--db-postgres-url', config.database.postgres.url];
}

async function cli(config: Config, ...args: string[]): Promise<string> {
  const result = await runCli(['queue', ...args, ...flagsOf(config)]);
  expect(result).toMatchObject({ code: 0, stderr: '' });
  return result.stdout;
}

async function listed(config: Config, ...args: string[]): Promise<string[]> {
  return JSON.parse(await cli(config, 'dead', 'list', '--json', ...args)).deadLetters.map((d: { id: string }) => d.id);
}

/** Through the queue API, at the system clock's now (later than anything the CLI wrote). */
async function withQueues<T>(config: Config, work: (dbs: Awaited<ReturnType<typeof openDatabases>>) => Promise<T>): Promise<T> {
  const dbs = await openDatabases(config);
  try {
    return await work(dbs);
  } finally {
    await dbs.close();
  }
}

forEachBackend('piri-db queue dead', (backend) => {
  // One prepared installation for the tests below, in order: the lists read it, then requeue changes it.
  let config: Config;
  let state: QueueState;
  beforeAll(async () => {
    config = await freshConfig(backend);
    state = await prepareQueues(config);
  });

  it('list: every queue by default, oldest first, no bodies in text; filters by job name, age, ids and limit', async () => {
    const { replication: r, aggregator: a } = state;

    const text = await cli(config, 'dead', 'list');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +queue +job name +reason +deliveries +moved at +error$/);
    expect(lines.slice(1, -1).map((l) => l.split(/ {2,}/))).toEqual([
      [r.first, 'replication', 'transfer-task', 'permanent_error', '1', expect.stringMatching(/^\d{4}-.*Z$/), 'boom: the first failure …'],
      [r.second, 'replication', 'other-task', 'max_retries', '1', expect.stringMatching(/Z$/), 'gave up'],
      [a.first, 'aggregator', 'aggregate_piece', 'permanent_error', '1', expect.stringMatching(/Z$/), 'boom: the first failure …'],
      [a.second, 'aggregator', 'other_piece', 'max_retries', '1', expect.stringMatching(/Z$/), 'gave up'],
    ]);
    expect(lines.at(-1)).toBe('4 dead letter(s) in 2 queue(s) (bodies not shown; --json --with-body includes them)');
    expect(text).not.toContain(MARKER);
    expect(text).not.toContain(Buffer.from(MARKER).toString('base64').slice(0, 12));

    expect(await listed(config, '--queue', 'replication', '--job-name', 'other-task')).toEqual([r.second]);
    expect(await listed(config, '--job-name', 'aggregate_piece')).toEqual([a.first]);
    // First dead-lettered two days ago, the second an hour ago.
    expect(await listed(config, '--older-than', '24h')).toEqual([r.first, a.first]);
    expect(await listed(config, '--older-than', '72h')).toEqual([]);
    expect(await listed(config, '--queue', 'aggregator', '--ids', `${a.second},999999`)).toEqual([a.second]);
    expect(await listed(config, '--queue', 'replication', '--ids', `${r.first},${r.second}`, '--limit', '1')).toEqual([r.first]);
    // --limit is per queue.
    expect(await listed(config, '--limit', '1')).toEqual([r.first, a.first]);
    expect(await cli(config, 'dead', 'list', '--store', 'egress_tracker')).toMatch(/^no dead letters match \((SQLite in|PostgreSQL at) /);
  });

  it('list --json: every field, the whole error; bodies only with --with-body', async () => {
    const { replication: r, aggregator: a } = state;
    const plain = JSON.parse(await cli(config, 'dead', 'list', '--queue', 'replication', '--json'));
    expect(plain).toMatchObject({ backend, deadLetters: [{}, {}] });
    expect(plain.deadLetters[0]).toEqual({
      id: r.first,
      store: 'replicator',
      queue: 'replication',
      kind: 'plain',
      jobName: 'transfer-task',
      reason: 'permanent_error',
      error: 'boom: the first failure\n  at stack frame',
      movedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      deliveries: 1,
    });
    const movedAt = Date.parse(plain.deadLetters[0].movedAt);
    expect(movedAt).toBeLessThan(state.now - 47 * 3_600_000);

    const bodies = JSON.parse(await cli(config, 'dead', 'list', '--json', '--with-body', '--ids', a.first, '--queue', 'aggregator'));
    expect(bodies.deadLetters).toHaveLength(1);
    expect(bodies.deadLetters[0]).toMatchObject({ id: a.first, kind: 'dedup', store: 'aggregator', jobName: 'aggregate_piece' });
    expect(Buffer.from(bodies.deadLetters[0].body, 'base64')).toEqual(a.firstBody);

    // The library, for programs: the same selection, DeadLetter objects with bodies.
    const library = await listDeadLetters(config, { queue: 'replication', filter: { jobName: 'transfer-task' } });
    expect(library.deadLetters).toMatchObject([{ id: r.first, store: 'replicator', body: r.firstBody, received: 1 }]);
    await expect(listDeadLetters(config, { filter: { ids: [r.first] } })).rejects.toBeInstanceOf(QueueSelectionError);
  });

  it('requeue: a plain dead letter goes back to the front with its id and body; a dedup one whose key is queued again is dropped', async () => {
    const { replication: r, aggregator: a } = state;
    const plain = await cli(config, 'dead', 'requeue', '--queue', 'replication', '--ids', r.first);
    expect(plain).toMatch(/^replicator\/replication: 1 requeued\nrequeued 1 dead letter\(s\) in 1 queue\(s\) of /);
    await withQueues(config, async (dbs) => {
      const queue = dbs.replicator.queue('replication');
      expect((await queue.deadLetters()).map((d) => d.id)).toEqual([r.second]);
      // Its created time is kept, so it is the oldest receivable message: first out, as a first delivery.
      expect(await queue.receive()).toEqual({ id: r.first, body: r.firstBody, received: 1 });
      // The second dead letter's key is queued again: requeueing it would make a duplicate.
      await dbs.aggregator.dedupQueue('aggregator').send(a.secondBody);
    });

    const dedup = JSON.parse(await cli(config, 'dead', 'requeue', '--queue', 'aggregator', '--json'));
    expect(dedup).toMatchObject({ action: 'requeue', total: 2, queues: [{ store: 'aggregator', queue: 'aggregator', kind: 'dedup', count: 2 }] });
    await withQueues(config, async (dbs) => {
      const queue = dbs.aggregator.dedupQueue('aggregator');
      expect(await queue.deadLetters()).toEqual([]);
      // Ready: the one sent an hour ago, the key sent again, and the requeued first (not a second copy of the key).
      expect(await queue.stats()).toMatchObject({ ready: 3, inFlight: 1, delayed: 1, exhausted: 1, dead: 0 });
      const got = await queue.receiveMany(10);
      expect(got.map((m) => m.body.toString())).toContain(a.firstBody.toString());
      expect(got.find((m) => m.body.equals(a.firstBody))).toMatchObject({ id: a.first, received: 1 });
      expect(got.filter((m) => m.body.equals(a.secondBody))).toHaveLength(1);
    });
  });

  it('purge: by filter, or --all for the selected queues; neither, or both, is refused', async () => {
    const purgeConfig = await freshConfig(backend);
    const { replication: r, aggregator: a } = await prepareQueues(purgeConfig);
    expect(await cli(purgeConfig, 'dead', 'purge', '--older-than', '24h')).toMatch(
      /^replicator\/replication: 1 purged\naggregator\/compute_commp: 0 purged\naggregator\/aggregator: 1 purged\n.*\npurged 2 dead letter\(s\) in 5 queue\(s\) of /s,
    );
    await withQueues(purgeConfig, async (dbs) => {
      expect((await dbs.replicator.queue('replication').deadLetters()).map((d) => d.id)).toEqual([r.second]);
      expect((await dbs.aggregator.dedupQueue('aggregator').deadLetters()).map((d) => d.id)).toEqual([a.second]);
      // Purged is gone: the live messages are as they were.
      expect(await dbs.replicator.queue('replication').stats()).toMatchObject({ ready: 1, inFlight: 1, delayed: 1, exhausted: 1, dead: 1 });
    });
    const all = JSON.parse(await cli(purgeConfig, 'dead', 'purge', '--all', '--queue', 'aggregator', '--json'));
    expect(all).toEqual({
      backend,
      location: expect.any(String),
      action: 'purge',
      total: 1,
      queues: [{ store: 'aggregator', queue: 'aggregator', kind: 'dedup', count: 1 }],
    });
    await withQueues(purgeConfig, async (dbs) => {
      expect(await dbs.aggregator.dedupQueue('aggregator').deadLetters()).toEqual([]);
      expect(await dbs.replicator.queue('replication').deadLetters()).toHaveLength(1);
      // The aggregator queue runs without dead-letter blocks: purged work can be queued again.
      expect(await dbs.aggregator.dedupQueue('aggregator').send(encode('other_piece', Buffer.from(`${MARKER}-dedup-second`)))).toBeDefined();
    });
    await expect(purgeDeadLetters(purgeConfig, { queue: 'replication' })).rejects.toMatchObject({ argument: 'all', code: 'INVALID_ARGUMENT' });
    await expect(purgeDeadLetters(purgeConfig, { all: true, filter: { limit: 1 } })).rejects.toMatchObject({ argument: 'all' });
  });
});
