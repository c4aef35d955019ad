import { PROCESSES_KEY, type CommandSpec, type ProcessOutput, type ProcessRunner } from '../../../src/modules/exec/index.ts';

type Answer = Partial<ProcessOutput> | ((spec: CommandSpec) => Partial<ProcessOutput>);

/**
 * A fake at the exec module's IO seam: paths that exist, and answers per command line
 * (`argv.join(' ')`). Unknown commands exit 0 with no output. Records every command started.
 */
export function fakeProcesses(o: { paths?: string[]; answers?: Record<string, Answer> } = {}) {
  const paths = new Set(o.paths ?? []);
  const calls: CommandSpec[] = [];
  const runner: ProcessRunner = {
    exists: async (p) => paths.has(p),
    run: async (spec) => {
      calls.push(spec);
      const a = o.answers?.[spec.argv.join(' ')];
      const answer = typeof a === 'function' ? a(spec) : (a ?? {});
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answer };
    },
  };
  return { paths, calls, ran: () => calls.map((c) => c.argv.join(' ')), memo: { [PROCESSES_KEY]: runner } };
}
