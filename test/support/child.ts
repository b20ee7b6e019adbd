/**
 * Real child processes for concurrency and crash tests. A child runs a fixture script under tsx, gets its
 * config as JSON in argv, and talks back with one JSON line per event on stdout.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/load.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first message whose `event` matches. */
  next(event: string): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) and everything the child wrote to stderr. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function spawnFixture(fixture: string, config: Config, ...args: string[]): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/fixtures/${fixture}`, JSON.stringify(config), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    messages.push(message);
    for (const w of waiters.filter((w) => w.event === message.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    process: child,
    exit,
    next: (event) => {
      const seen = messages.find((m) => m.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ event, resolve });
        void exit.then(({ code, signal, stderr }) =>
          reject(new Error(`child exited (${code ?? signal}) before "${event}": ${stderr}`)),
        );
      });
    },
  };
}

/** Runs the CLI's TypeScript source under tsx (the packaged bin, which runs dist/, is covered by test/package/). */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  { closedStdout = false }: { /** The reader has gone before the CLI writes (`| head` that has read enough). */ closedStdout?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    if (closedStdout) child.stdout.destroy();
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
