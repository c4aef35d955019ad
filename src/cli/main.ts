import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { debugStack, describeError, exitCodeFor } from '../runtime/errors.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The CLI is thin: it parses arguments, calls a command function and maps errors to exit
 * codes (0 ok, 1 a task or target failed, 2 invalid input or configuration).
 * Commands are loaded lazily so `helix --help` stays fast.
 */
export async function main(argv: readonly string[]): Promise<number> {
  // `helix play … | head`: a closed pipe ends output quietly, as for any Unix tool.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = new Command('helix')
    .description('Declarative playbooks in TypeScript: honest plans, idempotent tasks, fast.')
    .version(pkg.version)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const { registerCommands } = await import('./commands.ts');
  registerCommands(program);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      return 2;
    }
    process.stderr.write(`helix: ${describeError(error)}\n`);
    const code = exitCodeFor(error);
    if (code === 70 && process.env.HELIX_DEBUG) process.stderr.write(`${debugStack(error)}\n`);
    return code;
  }
}
