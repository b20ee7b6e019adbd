import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type ExpectStatic, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { queueStats } from '../../src/operations/queues.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { runCli, spawnFixture } from '../support/child.ts';
import { forEachBackend, freshConfig, tempDir } from '../support/installations.ts';
import { tableRows } from '../support/queues.ts';
import { DAY, prepareQueues } from './queue-state.ts';

const UNREACHABLE = 'postgres://piri:Hunter2-Very-Secret@127.0.0.1:1/piri';

function flagsOf(config: Config): string[] {
  const flags = ['--data-dir', config.dataDir];
  return config.database.type === 'sqlite' ? flags : [...flags, '--db-type', 'postgres', '--db-postgres-url', config.database.postgres.url];
}

/** `check`: a concurrent test's own expect. */
function oneLine(result: { code: number | null; stdout: string; stderr: string }, code: number, check: ExpectStatic = expect): string {
  check(result.stdout).toBe('');
  check(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  check(lines).toHaveLength(1);
  return lines[0]!;
}

forEachBackend('piri-db queue stats', (backend) => {
  it('counts every state of every queue, in text and JSON; --store and --queue narrow it; the library takes a clock', async () => {
    const config = await freshConfig(backend);
    const state = await prepareQueues(config);

    const text = await runCli(['queue', 'stats', ...flagsOf(config)]);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^store +queue +ready +in flight +delayed +exhausted +dead +oldest$/);
    expect(lines.slice(1, -1).map((l) => l.split(/ +/))).toEqual([
      ['replicator', 'replication', '1', '1', '1', '1', '2', '2d0h'],
      ['aggregator', 'compute_commp', '0', '0', '0', '0', '0', '-'],
      ['aggregator', 'aggregator', '1', '1', '1', '1', '2', '2d0h'],
      ['aggregator', 'manager', '0', '0', '0', '0', '0', '-'],
      ['egress_tracker', 'egress-tracker', '0', '0', '0', '0', '0', '-'],
    ]);
    expect(lines.at(-1)).toMatch(new RegExp(`^5 queue\\(s\\) of ${backend === 'sqlite' ? 'SQLite in' : 'PostgreSQL at'} .*, at \\d{4}-\\d\\d-\\d\\dT`));

    const json = await runCli(['queue', 'stats', '--queue', 'replication', '--json', ...flagsOf(config)]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ backend, queues: [{ store: 'replicator', queue: 'replication', kind: 'plain', ready: 1, inFlight: 1, delayed: 1, exhausted: 1, dead: 2 }] });
    expect(report.queues).toHaveLength(1);
    expect(report.queues[0].oldestAgeMs).toBeGreaterThanOrEqual(2 * DAY);

    const store = JSON.parse((await runCli(['queue', 'stats', '--store', 'aggregator', '--json', ...flagsOf(config)])).stdout);
    expect(store.queues.map((q: { queue: string; kind: string }) => `${q.queue}:${q.kind}`)).toEqual(['compute_commp:plain', 'aggregator:dedup', 'manager:plain']);

    // The library, at the state's own now: the oldest message is exactly two days old on both queue kinds.
    const atNow = await queueStats(config, {}, { clock: new ManualClock(state.now) });
    expect(atNow.at).toEqual(new Date(state.now));
    for (const name of ['replication', 'aggregator']) {
      expect(atNow.queues.find((q) => q.queue === name)).toMatchObject({ ready: 1, inFlight: 1, delayed: 1, exhausted: 1, dead: 2, oldestAgeMs: 2 * DAY });
    }
    // Three days on, the claim and the delay have passed: both are ready; the exhausted message stays exhausted.
    const later = await queueStats(config, { store: 'replicator' }, { clock: new ManualClock(state.now + 3 * DAY) });
    expect(later.queues).toEqual([
      { store: 'replicator', kind: 'plain', queue: 'replication', ready: 3, inFlight: 0, delayed: 0, exhausted: 1, dead: 2, oldestAgeMs: 5 * DAY },
    ]);
  });

  it('reads without writing: refuses an installation nobody set up and creates nothing; the dedup queue row is left to piri', async () => {
    const config = await freshConfig(backend);
    const refused = oneLine(await runCli(['queue', 'stats', ...flagsOf(config)]), 1);
    expect(refused).toMatch(/^piri-db: store replicator is not set up \(.*\): run `piri-db migrate`, or start piri$/);
    const purge = oneLine(await runCli(['queue', 'dead', 'purge', '--all', ...flagsOf(config)]), 1);
    expect(purge).toMatch(/^piri-db: store replicator is not set up/);
    const status = JSON.parse((await runCli(['status', '--json', ...flagsOf(config)])).stdout);
    expect(status.stores.map((s: { exists: boolean }) => s.exists)).toEqual([false, false, false, false]);
    expect(status.recorded).toBeUndefined();
    if (backend === 'sqlite') expect(existsSync(join(config.dataDir, 'replicator/replicator.db'))).toBe(false);

    expect((await runCli(['migrate', ...flagsOf(config)])).code).toBe(0);
    expect((await runCli(['queue', 'stats', ...flagsOf(config)])).code).toBe(0);
    expect((await runCli(['queue', 'dead', 'list', '--queue', 'aggregator', ...flagsOf(config)])).code).toBe(0);
    const dbs = await openDatabases(config);
    try {
      expect(await tableRows(dbs.aggregator, 'queues')).toEqual([]);
    } finally {
      await dbs.close();
    }
  });

  it('works beside a running instance; requeue and purge need the writer, which a running SQLite instance holds', async () => {
    const config = await freshConfig(backend);
    const state = await prepareQueues(config);
    const child = spawnFixture('boot.ts', config, 'hold');
    try {
      await child.next('open');
      const stats = await runCli(['queue', 'stats', '--queue', 'replication', ...flagsOf(config)]);
      expect(stats).toMatchObject({ code: 0, stderr: '' });
      expect(stats.stdout).toMatch(/^replicator +replication +1 +1 +1 +1 +2 +2d0h$/m);
      const list = await runCli(['queue', 'dead', 'list', '--queue', 'aggregator', '--json', ...flagsOf(config)]);
      expect(list).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(list.stdout).deadLetters.map((d: { id: string }) => d.id)).toEqual([state.aggregator.first, state.aggregator.second]);

      const requeue = await runCli(['queue', 'dead', 'requeue', '--queue', 'replication', '--ids', state.replication.first, ...flagsOf(config)]);
      const purge = await runCli(['queue', 'dead', 'purge', '--all', ...flagsOf(config)]);
      if (backend === 'sqlite') {
        expect(oneLine(requeue, 1)).toMatch(
          /^piri-db: requeueing dead letters writes to the store, so piri must be stopped first \(or call requeueDead from inside it\): data dir .* is in use by another piri-db instance/,
        );
        expect(oneLine(purge, 1)).toMatch(/^piri-db: purging dead letters writes to the store, so piri must be stopped first/);
      } else {
        // Postgres is shared: the writes run beside the instance.
        expect(requeue).toMatchObject({ code: 0, stderr: '' });
        expect(requeue.stdout).toMatch(/^replicator\/replication: 1 requeued$/m);
        expect(purge.stdout).toMatch(/^purged 3 dead letter\(s\) in 5 queue\(s\) of PostgreSQL at postgres:\/\/piri:\*\*\*@/m);
      }
    } finally {
      child.process.kill();
      await child.exit;
    }
    if (backend === 'sqlite') {
      const requeue = await runCli(['queue', 'dead', 'requeue', '--queue', 'replication', '--ids', state.replication.first, ...flagsOf(config)]);
      expect(requeue).toMatchObject({ code: 0, stderr: '' });
      expect(requeue.stdout).toMatch(/^requeued 1 dead letter\(s\) in 1 queue\(s\) of SQLite in /m);
    }
  });
});

// Each case is its own CLI process, and they do not share anything: run them side by side.
describe.concurrent('queue commands refuse bad flags with one line naming the flag (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [['queue'], /^piri-db: queue needs a subcommand: stats, dead list, dead requeue, dead purge$/],
    [['queue', 'dead'], /^piri-db: queue dead needs a subcommand: list, requeue, purge$/],
    [['queue', 'stat'], /^piri-db: unknown queue subcommand "stat" \(stats, dead list, dead requeue, dead purge\)$/],
    [['queue', 'stats', '--store', 'nope'], /^piri-db: --store: unknown store "nope" \(stores with queues: replicator, aggregator, egress_tracker\)$/],
    [['queue', 'stats', '--store', 'scheduler'], /^piri-db: --store: store scheduler holds no queues \(stores with queues: /],
    [['queue', 'stats', '--queue', 'nope'], /^piri-db: --queue: unknown queue "nope" \(queues: replication, compute_commp, aggregator, manager, egress-tracker\)$/],
    [['queue', 'stats', '--store', 'replicator', '--queue', 'manager'], /^piri-db: --queue: store replicator has no queue "manager" \(its queues: replication\)$/],
    [['queue', 'stats', '--queue', ''], /^piri-db: --queue must not be empty$/],
    [['queue', 'stats', '--limit', '3'], /^piri-db: unknown option '--limit'$/],
    [['queue', 'dead', 'list', '--queue', 'aggregator', '--ids', '12,m_0123'], /^piri-db: --ids: "m_0123" is not a message id of dedup queue aggregator \(its ids are decimal integers\)$/],
    [['queue', 'dead', 'list', '--ids', 'm_1'], /^piri-db: --ids needs --queue: message ids belong to one queue$/],
    [['queue', 'dead', 'list', '--queue', 'replication', '--ids', 'm_1,,m_2'], /^piri-db: --ids must be a comma-separated list of message ids, got "m_1,,m_2"$/],
    [['queue', 'dead', 'list', '--older-than', '3d'], /^piri-db: invalid --older-than: unknown unit .*\(a duration such as 90m, 24h or 168h\)$/],
    [['queue', 'dead', 'list', '--older-than=-1h'], /^piri-db: invalid --older-than: must not be negative$/],
    [['queue', 'dead', 'list', '--limit', '0'], /^piri-db: --limit must be a positive integer, got "0"$/],
    [['queue', 'dead', 'requeue', '--limit', 'ten'], /^piri-db: --limit must be a positive integer, got "ten"$/],
    [['queue', 'dead', 'list', '--with-body'], /^piri-db: --with-body needs --json \(text output never prints message bodies\)$/],
    [['queue', 'dead', 'requeue', '--with-body', '--json'], /^piri-db: unknown option '--with-body'/],
    [['queue', 'dead', 'requeue', '--all'], /^piri-db: unknown option '--all'/],
    [['queue', 'dead', 'purge'], /^piri-db: queue dead purge needs a filter \(--ids, --job-name, --older-than, --limit\), or --all /],
    [['queue', 'dead', 'purge', '--queue', 'replication'], /^piri-db: queue dead purge needs a filter/],
    [['queue', 'dead', 'purge', '--all', '--limit', '5'], /^piri-db: --all purges every dead letter of the selected queues: drop it, or the filters$/],
    [['status', '--queue', 'replication'], /^piri-db: unknown option '--queue'/],
  ];
  it.for(cases)('%j', async ([args, message], { expect }) => {
    expect(oneLine(await runCli([...args, '--data-dir', tempDir()]), 2, expect)).toMatch(message);
  });
});

describe.concurrent('queue commands on an unreachable server: one line, no password, exit 1', () => {
  it.for([['stats'], ['dead', 'list', '--json'], ['dead', 'requeue', '--queue', 'replication'], ['dead', 'purge', '--all']])('%j', async (args, { expect }) => {
    const line = oneLine(await runCli(['queue', ...args, '--data-dir', tempDir(), '--db-type', 'postgres', '--db-postgres-url', UNREACHABLE]), 1, expect);
    expect(line).toMatch(/^piri-db: cannot use PostgreSQL at postgres:\/\/piri:\*\*\*@127\.0\.0\.1:1\/piri: /);
    expect(line).not.toContain('Hunter2');
  });
});
