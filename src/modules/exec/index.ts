/**
 * Local commands from argument arrays, never shell strings.
 *
 * ```ts
 * import * as exec from 'helix/modules/exec';
 * exec.run('init', { argv: ['devpi-init', '--serverdir', dir], env: { DEVPI_PASSWORD: pw }, creates: `${dir}/.nodeinfo` });
 * exec.query('kubectl-version', { argv: ['kubectl', 'version', '--client', '-o', 'json'], parse: (o) => JSON.parse(o.stdout) });
 * ```
 */
export { type CommandOptions, DEFAULT_TIMEOUT_MS, display, type ExecResult } from './command.ts';
export type { Idempotence } from './idempotence.ts';
export { type CommandSpec, localProcesses, type ProcessOutput, type ProcessRunner, PROCESSES_KEY } from './process.ts';
export { query, type QueryOptions } from './query.ts';
export { run, type RunOptions } from './run.ts';
