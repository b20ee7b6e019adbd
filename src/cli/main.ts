/**
 * piri-db CLI. Every command prints its result on stdout (progress of long work goes to stderr); every
 * failure is one line on stderr and a non-zero exit (2 for usage and configuration errors, 1 for the rest).
 * Passwords never reach either stream.
 */
import { PACKAGE_JSON } from '../package-root.ts';

// A reader that has read enough (`piri-db queue dead list | head`) closes the pipe: that ends the output, not in a
// crash with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

const args = process.argv.slice(2);
// Scripts ask for the version most, and loading commander alone costs a third of node's own start: answered
// before it loads (commander answers `--version` too, for help and for the flag among others).
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) process.stdout.write(`${PACKAGE_JSON.version}\n`);
else await runProgram();

async function runProgram(): Promise<void> {
  const [{ CommanderError }, { redactSecrets, urlSecrets }, { ConfigError }, { UsageError }, { buildProgram }] = await Promise.all([
    import('commander'),
    import('../config/redact.ts'),
    import('../errors.ts'),
    import('./command.ts'),
    import('./program.ts'),
  ]);
  const program = buildProgram(PACKAGE_JSON.version, (result) => {
    process.stdout.write(`${result.output}\n`);
    process.exitCode = result.exitCode ?? 0;
  });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    // --version, --help and `help [command]` end here too, with commander's exit code 0.
    if (error instanceof CommanderError && error.exitCode === 0) {
      process.exitCode = 0;
    } else {
      // commander's messages ("error: unknown option '--x'\n(Did you mean --y?)") become one line like ours.
      const message = error instanceof CommanderError ? error.message.replace(/^error: /, '').replace(/\n+/g, ' ') : errorText(error);
      // A safety net: messages are redacted where they are made, but a URL may also arrive through the argv.
      const secrets = process.argv.flatMap((arg) => (arg.includes('://') ? urlSecrets(arg) : []));
      // `piri-db help <unknown>` has already printed the help, on stderr: nothing to add.
      if (!(error instanceof CommanderError && error.code === 'commander.help')) {
        process.stderr.write(`piri-db: ${redactSecrets(message, secrets)}\n`);
      }
      process.exitCode = error instanceof CommanderError || error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
    }
  }
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}
