import { describeError, exitCodeFor, ValidationError } from '../runtime/errors.ts';
import { planClusterRun } from '../oncluster/plan.ts';
import { describePlan, describeRemoved, passOnArgs, removeRunner, submitAndStream } from '../oncluster/submit.ts';
import type { PlayCommandOptions } from './play.ts';

/**
 * `helix play|test|rollback <component> --on-cluster`: the same command, run by helix in a pod of
 * an Argo Workflow under a ServiceAccount whose RBAC is derived from the playbooks
 * (docs/in-cluster.md). stdout carries the pod's output as a local run prints it; what the
 * workstation's helix itself says goes to stderr.
 */
export async function onClusterCommand(o: PlayCommandOptions): Promise<number> {
  const out = { write: (s: string) => process.stdout.write(s) };
  const err = { write: (s: string) => process.stderr.write(s) };
  let close: (() => void) | undefined;
  try {
    if (o.prune) throw new ValidationError([{ path: `${o.component}/--prune`, message: '--prune is not built for --on-cluster runs yet' }]);
    const extraVars = o.set && Object.keys(o.set).length ? o.set : undefined;
    const plan = await planClusterRun({ root: o.root, component: o.component, env: o.env, ...(extraVars ? { extraVars } : {}) });
    close = plan.close;
    const args = passOnArgs(o);
    if (o.check) {
      await describePlan(plan, o.selection, [...args, '--check'], out);
      return 0;
    }
    const code = await submitAndStream(plan, o.selection, args, { out, err });
    if (o.selection === 'rollback' && code === 0) {
      const removed = await removeRunner(plan.client, plan.id);
      err.write(`helix: removed the in-cluster runner: ${removed.length ? describeRemoved(removed) : 'nothing was left'}\n`);
    }
    return code;
  } catch (error) {
    if (error instanceof ValidationError) {
      err.write(`invalid: ${error.problems.length} problem(s), nothing was changed\n`);
      for (const p of error.problems) err.write(`  ${p.path}: ${p.message}\n`);
    } else err.write(`helix: ${describeError(error)}\n`);
    return exitCodeFor(error);
  } finally {
    close?.();
  }
}
