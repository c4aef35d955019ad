import { defineTask, noChange, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts, type HostFacts } from './facts.ts';
import { transportFor } from './transport.ts';

/**
 * Reads the host's facts (os, arch, user, home, shell, tools). Later tasks use them through
 * `ctx.result(factsTask)`, in conditions too. Facts are gathered once per host and run.
 */
export function facts(name: string, options: Pick<TaskOptions<HostFacts>, 'when' | 'tags'> = {}): Task<HostFacts> {
  return defineTask<HostFacts>({
    kind: 'ssh.facts',
    name,
    options,
    plan: async (ctx) => {
      const f = await gatherFacts(transportFor(ctx));
      const os = f.os.name || [f.os.kernel, f.os.id, f.os.version].filter(Boolean).join(' ');
      return noChange(`${os} ${f.arch}, ${f.user} (${f.home}, ${f.shell})`, f);
    },
  });
}
