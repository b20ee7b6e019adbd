/**
 * The CLI under generated bad flags, run as a user runs it (a real process through the package's bin): a bad
 * configuration value, an unknown flag or a flag without its value ends with exit code 2 and exactly one line on
 * stderr, `piri-db: ...`, with no stack trace, nothing on stdout, and never the password of the URL given beside it.
 * Each run spawns a process, so the runs are few; the configuration rules themselves are covered in config.test.ts.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { runCli } from '../support/child.ts';
import { tempDir } from '../support/installations.ts';
import { fcParameters, hostileString } from './support.ts';

/** Argv cannot carry U+0000; unpaired surrogates would reach the child as U+FFFD, which is fine but not "generated". */
const argText = (maxLength: number) => hostileString({ maxLength }).filter((t) => !t.includes('\u0000') && !/[\ud800-\udfff]/u.test(t));

const FLAG_KEYS = {
  'db-type': 'repo.database.type',
  'db-postgres-max-open-conns': 'repo.database.postgres.max_open_conns',
  'db-postgres-max-idle-conns': 'repo.database.postgres.max_idle_conns',
  'db-postgres-conn-max-lifetime': 'repo.database.postgres.conn_max_lifetime',
  'db-postgres-url': 'repo.database.postgres.url',
} as const;
type ConfigFlag = keyof typeof FLAG_KEYS;

const mistake = fc.oneof(
  // A configuration flag with a value its key refuses (checked with the library first).
  { arbitrary: fc.record({ kind: fc.constant('value' as const), flag: fc.constantFrom(...(Object.keys(FLAG_KEYS) as ConfigFlag[])), value: argText(10) }), weight: 4 },
  // A flag no command takes, or a string flag left without its value.
  { arbitrary: fc.record({ kind: fc.constant('unknown' as const), flag: fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/).filter((f) => !['help', 'json', 'h', 'version'].includes(f) && !f.startsWith('db-') && !f.includes('dir') && f !== 'config') }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('missing value' as const), flag: fc.constantFrom('--db-type', '--data-dir', '--db-postgres-url') }), weight: 1 },
);

it('exits 2 with one line on stderr, no stack trace and no password, for generated bad flags', async () => {
  const password = fc.string({ unit: 'grapheme', minLength: 6, maxLength: 12 }).map((tail) => `Pw-${tail}`);
  await fc.assert(
    fc.asyncProperty(mistake, password, fc.constantFrom('status', 'migrate', 'start'), async (bad, pw, command) => {
      const url = `postgres://piri:${encodeURIComponent(pw)}@127.0.0.1:1/piri`;
      const flags: Record<string, string> = { 'data-dir': tempDir(), 'db-type': 'postgres', 'db-postgres-url': url };
      let args: string[];
      if (bad.kind === 'value') {
        flags[bad.flag] = bad.flag === 'db-postgres-url' ? bad.value.replace(/^/, `mysql://piri:${pw}@db/`) : bad.value;
        const config = () =>
          loadConfig({
            env: {},
            dataDir: flags['data-dir'],
            database: {
              type: flags['db-type'],
              postgres: {
                url: flags['db-postgres-url'],
                maxOpenConns: flags['db-postgres-max-open-conns'],
                maxIdleConns: flags['db-postgres-max-idle-conns'],
                connMaxLifetime: flags['db-postgres-conn-max-lifetime'],
              },
            },
          });
        // Only values the library refuses: a valid one would make the command try to connect.
        let refused: unknown;
        try {
          config();
        } catch (error) {
          refused = error;
        }
        fc.pre(refused instanceof ConfigError && refused.key === FLAG_KEYS[bad.flag]);
        args = [command, ...Object.entries(flags).map(([flag, value]) => `--${flag}=${value}`)];
      } else if (bad.kind === 'unknown') {
        args = [command, ...Object.entries(flags).map(([flag, value]) => `--${flag}=${value}`), `--${bad.flag}`];
      } else {
        args = [command, ...Object.entries(flags).map(([flag, value]) => `--${flag}=${value}`), bad.flag];
      }
      const result = await runCli(args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^piri-db: [^\n]+\n$/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      if (bad.kind === 'value') expect(result.stderr).toContain(`invalid configuration ${FLAG_KEYS[bad.flag]}: `);
      for (const form of [pw, encodeURIComponent(pw), JSON.stringify(pw).slice(1, -1)]) expect(result.stderr).not.toContain(form);
    }),
    fcParameters(8),
  );
});
