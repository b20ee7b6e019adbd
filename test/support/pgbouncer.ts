/**
 * A real PgBouncer (Debian's `pgbouncer` package; .ci/run installs it) in transaction pooling mode in front of the
 * test run's PostgreSQL, started and stopped by the test that needs it. Clients log in to PgBouncer with the server
 * URL's user and password (SCRAM), and PgBouncer logs in to the server with the same.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './ports.ts';

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

export interface PgBouncer {
  /** `serverUrl` with PgBouncer's host and port instead of the server's. */
  url(serverUrl: string): string;
  stop(): Promise<void>;
}

export async function startPgBouncer(serverUrl: string, poolSize = 20): Promise<PgBouncer> {
  const binary = CANDIDATES.find((candidate) => existsSync(candidate));
  if (binary === undefined) throw new Error(`pgbouncer is not installed (looked for ${CANDIDATES.join(', ')}): apt-get install -y pgbouncer`);
  const server = new URL(serverUrl);
  const dir = mkdtempSync(join(tmpdir(), 'piri-db-pgbouncer-'));
  // PgBouncer refuses to run as root: as root it is started with -u postgres, which must read the ini and write its log.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chmodSync(dir, 0o777);
  const port = await freePort();
  const ini = join(dir, 'pgbouncer.ini');
  const log = join(dir, 'pgbouncer.log');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 1000',
      `default_pool_size = ${poolSize}`,
      `logfile = ${log}`,
      'ignore_startup_parameters = extra_float_digits',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'userlist.txt'), `"${decodeURIComponent(server.username)}" "${decodeURIComponent(server.password)}"\n`);
  if (asRoot) for (const file of ['pgbouncer.ini', 'userlist.txt']) chmodSync(join(dir, file), 0o644);
  const child: ChildProcess = spawn(binary, asRoot ? ['-u', 'postgres', ini] : [ini], { stdio: 'ignore' });
  await waitForPort(port, child, log);
  return {
    url(url: string) {
      const through = new URL(url);
      through.hostname = '127.0.0.1';
      through.port = String(port);
      return through.toString();
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    if (await accepts(port)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`pgbouncer did not listen on ${port} within 5 s`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

