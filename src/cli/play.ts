import { describeError, exitCodeFor, ValidationError } from '../runtime/errors.ts';
import { EventBus } from '../runtime/events.ts';
import type { Selection } from '../runtime/loader.ts';
import { run } from '../runtime/run.ts';
import type { PassOn } from '../oncluster/submit.ts';
import { humanRenderer, jsonRenderer } from './render.ts';

/** The run options beside what `--on-cluster` passes on to the pod's helix unchanged ({@link PassOn}). */
export interface PlayCommandOptions extends PassOn {
  root: string;
  component: string;
  selection: Selection;
  env: string;
  check?: boolean;
  /** `play --prune`: delete what the playbooks no longer declare. */
  prune?: boolean;
}

/** `helix play|test|rollback`: run, render events, return the exit code. */
export async function playCommand(o: PlayCommandOptions): Promise<number> {
  const bus = new EventBus();
  const out = { write: (s: string) => process.stdout.write(s) };
  bus.on(o.json ? jsonRenderer(out) : humanRenderer(out, { diff: o.diff === true, verbose: o.verbose === true }));

  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) {
      // In an in-cluster run's pod no one presses Ctrl-C twice: Argo signals a stopped Workflow's
      // process more than once, and each stop must still end the run cleanly (lock released).
      if (process.env.HELIX_IN_CLUSTER === '1') return;
      process.exit(130);
    }
    process.stderr.write('\nhelix: interrupted, stopping after the current task (press again to quit now)\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await run({
      root: o.root,
      component: o.component,
      env: o.env,
      selection: o.selection,
      mode: o.check ? 'check' : 'apply',
      bus,
      signal: abort.signal,
      ...(o.only ? { only: o.only } : {}),
      ...(o.from ? { from: o.from } : {}),
      ...(o.tags ? { tags: o.tags } : {}),
      ...(o.forks !== undefined ? { forks: o.forks } : {}),
      ...(o.maxFailPercent !== undefined ? { maxFailPercent: o.maxFailPercent } : {}),
      ...(o.waitLock !== undefined ? { waitLockMs: o.waitLock } : {}),
      ...(o.prune ? { prune: true } : {}),
      ...((o.set && Object.keys(o.set).length) || o.purgeData ? { extraVars: { ...o.set, ...(o.purgeData ? { purge_data: true } : {}) } } : {}),
    });
    if (result.interrupted) return 130;
    return result.ok ? 0 : 1;
  } catch (error) {
    // Validation problems were already rendered as a run.invalid event.
    if (!(error instanceof ValidationError) || o.json) {
      if (o.json) process.stdout.write(`${JSON.stringify({ type: 'error', message: describeError(error), exitCode: exitCodeFor(error) })}\n`);
      else process.stderr.write(`helix: ${describeError(error)}\n`);
    }
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
