/**
 * pg_dump and pg_restore, when a usable one is installed. The password never goes on a command line (other
 * users can read those): the tools get the URL without it and the password in PGPASSWORD.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PostgresConfig } from '../../config/load.ts';
import { redactSecrets, urlSecrets } from '../../config/redact.ts';
import { OperationError } from '../../errors.ts';
import { errorMessage } from '../../narrow.ts';

const run = promisify(execFile);

export interface PgTool {
  readonly path: string;
  /** e.g. "15.18" */
  readonly version: string;
  readonly major: number;
}

/** The tool's version, or undefined when it cannot be run. */
export async function findPgTool(path: string): Promise<PgTool | undefined> {
  try {
    const { stdout } = await run(path, ['--version']);
    const match = /(\d+)(?:\.(\d+))?/.exec(stdout);
    if (!match) return undefined;
    return { path, version: match[0], major: Number(match[1]) };
  } catch {
    return undefined;
  }
}

/** What pg_dump takes: these schemas, without these tables and sequences (schema-qualified, quoted where a name needs it). */
export interface DumpSelection {
  readonly schemas: readonly string[];
  readonly excludeTables: readonly string[];
}

export async function pgDump(tool: PgTool, config: PostgresConfig, snapshotId: string, selection: DumpSelection, file: string): Promise<void> {
  await runTool(tool, config, [
    '--format=custom',
    `--file=${file}`,
    `--snapshot=${snapshotId}`,
    '--no-owner',
    '--no-privileges',
    ...selection.schemas.map((s) => `--schema=${s}`),
    ...selection.excludeTables.map((t) => `--exclude-table=${t}`),
  ]);
}

/**
 * Restores an archive into an installation found empty and migrated to the archive's migrations: --clean
 * --if-exists drops the empty tables the migrations created, and the whole restore is one transaction (a failure
 * leaves nothing behind). The schemas themselves stay: the archive's entries for them are left out of the list
 * restored, since a store schema may hold tables of the application, and DROP SCHEMA would refuse them.
 */
export async function pgRestore(tool: PgTool, config: PostgresConfig, file: string): Promise<void> {
  const { stdout } = await run(tool.path, ['--list', file], { maxBuffer: 64 * 1024 * 1024 });
  const dir = mkdtempSync(join(tmpdir(), 'piri-db-restore-'));
  const list = join(dir, 'toc.list');
  try {
    writeFileSync(list, stdout.split('\n').filter((entry) => !SCHEMA_ENTRY.test(entry)).join('\n'));
    await runTool(tool, config, ['--clean', '--if-exists', '--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', `--use-list=${list}`, file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A table-of-contents line of `pg_restore --list` for a schema: `12; 2615 16385 SCHEMA - replicator owner`. */
const SCHEMA_ENTRY = /^\d+; \d+ \d+ SCHEMA - /;

async function runTool(tool: PgTool, config: PostgresConfig, args: string[]): Promise<void> {
  const url = new URL(config.url);
  const password = decodeURIComponent(url.password) || url.searchParams.get('password') || undefined;
  url.password = '';
  url.searchParams.delete('password');
  try {
    await run(tool.path, [`--dbname=${url.toString()}`, ...args], {
      env: { ...process.env, ...(password === undefined ? {} : { PGPASSWORD: password }), PGAPPNAME: 'piri-db operations' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = stderrOf(error)?.trim() || errorMessage(error);
    const name = tool.path.split('/').pop();
    throw new OperationError('OPERATION_FAILED', `${name} failed: ${redactSecrets(stderr.split('\n')[0] ?? '', urlSecrets(config.url))}`);
  }
}

/** What a failed tool wrote to stderr: execFile's error carries it. */
function stderrOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'stderr' in error && typeof error.stderr === 'string' ? error.stderr : undefined;
}
