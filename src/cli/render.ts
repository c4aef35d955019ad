import { createRequire } from 'node:module';
import pc from 'picocolors';
import type { Change } from '../runtime/change.ts';
import type { RunEvent } from '../runtime/events.ts';

export interface Writer {
  write(text: string): void;
}

/** One JSON object per line: the events exactly as the runtime emitted them (already masked). */
export function jsonRenderer(out: Writer): (e: RunEvent) => void {
  return (e) => out.write(`${JSON.stringify(e)}\n`);
}

function ms(d: number): string {
  return d < 1000 ? `${d}ms` : `${(d / 1000).toFixed(1)}s`;
}

/** The `diff` package, loaded on the first diff shown (most runs show none). */
let diffLib: typeof import('diff') | undefined;

function renderDiff(change: Change): string {
  if (!change.diff) return '';
  diffLib ??= createRequire(import.meta.url)('diff') as typeof import('diff');
  const patch = diffLib.createTwoFilesPatch(`${change.target} (live)`, `${change.target} (wanted)`, change.diff.before, change.diff.after, '', '', {
    context: 3,
  });
  return patch
    .split('\n')
    .slice(2)
    .filter((l) => l !== '\\ No newline at end of file')
    .map((l) => (l.startsWith('+') ? pc.green(l) : l.startsWith('-') ? pc.red(l) : l.startsWith('@@') ? pc.cyan(l) : l))
    .map((l) => `      ${l}`)
    .join('\n');
}

/**
 * The human view: a line per finished task (ok / changed / failed / skipped, with duration),
 * the changes under each changed task (and their diffs with `--diff`), and a recap per host.
 */
export function humanRenderer(out: Writer, opts: { diff: boolean; verbose?: boolean }): (e: RunEvent) => void {
  const multiHost = new Set<string>();
  let check = false;
  /** For the summary of an interrupted run: the last task that finished, and what was changed. */
  let lastDone: string | undefined;
  const changed: string[] = [];
  return (e) => {
    const at = (host: string): string => (multiHost.size > 1 ? pc.dim(` [${host}]`) : '');
    switch (e.type) {
      case 'run.start':
        check = e.mode === 'check';
        out.write(pc.bold(`${check ? 'check' : 'play'} ${e.component} --env ${e.env}`) + pc.dim(` (${e.playbooks.join(', ')})\n`));
        break;
      case 'run.invalid':
        out.write(pc.red(`invalid: ${e.problems.length} problem(s), nothing was changed\n`));
        for (const p of e.problems) out.write(`  ${pc.bold(p.path)}: ${p.message}\n`);
        break;
      case 'lock.acquired':
        if (e.takenOverFrom) out.write(pc.yellow(`took over the expired run lock ${e.scope} from ${e.takenOverFrom}\n`));
        else if (opts.verbose) out.write(pc.dim(`locked ${e.scope} (${e.where})\n`));
        break;
      case 'tls.unverified':
        out.write(pc.yellow(`warning: TLS certificates of ${e.target} are not verified (${e.setIn})\n`));
        break;
      case 'run.resumed':
        out.write(
          pc.yellow(
            `the previous run (${e.previousRun}, started ${e.previousStartedAt}) did not finish after ${e.changesBeforeStop} change(s); converging from where it stopped\n`,
          ),
        );
        break;
      case 'playbook.start':
        e.hosts.forEach((h) => multiHost.add(h));
        out.write(`${pc.bold(`\n${e.path}`) + (e.hosts.length > 1 || e.hosts[0] !== 'localhost' ? pc.dim(` on ${e.hosts.join(', ')}`) : '')}\n`);
        break;
      case 'task.ok':
        lastDone = e.path;
        out.write(`  ${pc.green('ok')}       ${e.path}${at(e.host)} ${pc.dim(`${e.reason} (${ms(e.durationMs)})`)}\n`);
        break;
      case 'task.changed': {
        lastDone = e.path;
        if (e.applied) changed.push(...e.changes.map((c) => `${c.action} ${c.target}`));
        const label = e.applied ? 'changed' : 'would change';
        const flag = e.notIdempotent ? pc.yellow(' (not idempotent)') : '';
        out.write(`  ${pc.yellow(label.padEnd(8))} ${e.path}${at(e.host)}${flag} ${pc.dim(`(${ms(e.durationMs)})`)}\n`);
        for (const c of e.changes) {
          out.write(`      ${c.action} ${c.target}${c.summary ? pc.dim(`: ${c.summary}`) : ''}\n`);
          if (opts.diff && c.diff) out.write(`${renderDiff(c)}\n`);
        }
        break;
      }
      case 'task.skipped':
        out.write(`  ${pc.cyan('skipped')}  ${e.path}${at(e.host)} ${pc.dim(e.reason)}\n`);
        break;
      case 'task.retry':
        out.write(`  ${pc.dim(`retry ${e.attempt}/${e.of}`)} ${e.path}${at(e.host)} ${pc.dim(e.reason)}\n`);
        break;
      case 'task.failed':
        out.write(`  ${pc.red(e.ignored ? 'failed (ignored)' : 'failed')}   ${e.path}${at(e.host)}\n      ${pc.red(e.error)}\n`);
        break;
      case 'host.unreachable':
        out.write(`  ${pc.red('unreachable')} ${e.host}: ${e.error}\n`);
        break;
      case 'log':
        if (e.level === 'warn' || opts.verbose) out.write(`  ${e.level === 'warn' ? pc.yellow('warn') : pc.dim('info')}     ${e.path}: ${e.message}\n`);
        break;
      case 'run.end': {
        out.write(pc.bold('\nrecap\n'));
        for (const [host, r] of Object.entries(e.recap)) {
          const parts = [
            `ok=${r.ok}`,
            (r.changed ? pc.yellow : String)(`changed=${r.changed}`),
            (r.failed ? pc.red : String)(`failed=${r.failed}`),
            `skipped=${r.skipped}`,
            ...(r.unreachable ? [pc.red(`unreachable=${r.unreachable}`)] : []),
            ...(r.notIdempotent ? [pc.yellow(`not-idempotent=${r.notIdempotent}`)] : []),
          ];
          out.write(`  ${host.padEnd(20)} ${parts.join('  ')}\n`);
        }
        const verdict = e.interrupted ? pc.yellow('interrupted') : e.ok ? pc.green('ok') : pc.red('failed');
        out.write(`${verdict}${check ? ' (check: nothing was changed)' : ''} in ${ms(e.durationMs)}\n`);
        if (e.interrupted) {
          out.write(`stopped after ${lastDone ?? 'no task'}; ${changed.length} change(s) made before the stop${changed.length ? ':' : ''}\n`);
          for (const c of changed) out.write(`  ${c}\n`);
          out.write('run the same command again to converge from here\n');
        }
        break;
      }
      default:
        break;
    }
  };
}
