import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HelixError, TargetError } from '../runtime/errors.ts';
import { sandboxDir } from '../runtime/paths.ts';
import { type Component, type Ctx, type Health, saveCtx, stopComponent } from './component.ts';
import { collectOutputs, type SandboxOutputs, writeOutputs } from './outputs.ts';
import { formatDuration, type Reporter, stderrReporter } from './progress.ts';
import { parseSshHostCount } from './components/ssh.ts';
import { catalog, component, resolveComponents } from './registry.ts';
import { loadState, withLock } from './state.ts';
import { sharedDir } from './users.ts';
import { leftovers } from './host.ts';
import { NODE_ROOT, NODE_RUN } from './components/node.ts';

/** Kept by `down`: credentials, the CA and SSH keys (so clients configured once keep working), and logs. */
const KEPT = new Set(['secrets', 'pki', 'ssh-keys', 'logs', 'lock']);

function context(report: Reporter): Ctx {
  const dir = sandboxDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, state: loadState(dir), report, logs: join(dir, 'logs') };
}

export interface UpResult {
  components: string[];
  durationMs: number;
  outputs: SandboxOutputs;
}

/**
 * Starts the selected components (and their dependencies). Builds and downloads start at
 * once (Go builds one at a time); each component starts as soon as its dependencies are
 * healthy and its own preparation is done. Running, healthy components are reused.
 */
export async function up(opts: { only?: readonly string[]; report?: Reporter; sshHosts?: number } = {}): Promise<UpResult> {
  const report = opts.report ?? stderrReporter;
  // SSH hosts: the option, else HELIX_SANDBOX_SSH_HOSTS, else keep what runs (3 at first).
  const sshHosts = parseSshHostCount(
    opts.sshHosts ?? process.env.HELIX_SANDBOX_SSH_HOSTS,
    opts.sshHosts !== undefined ? '--ssh-hosts' : 'HELIX_SANDBOX_SSH_HOSTS',
  );
  return withLock(async () => {
    const t0 = Date.now();
    const ctx = context(report);
    if (sshHosts !== undefined) ctx.sshHosts = sshHosts;
    const selected = resolveComponents(opts.only);
    const COMPONENTS = catalog().components;
    report(`sandbox: up ${selected.map((c) => c.name).join(', ')} in ${ctx.dir}`);
    const prepared = new Map<string, Promise<void>>();
    for (const c of selected) {
      const p = c.prepare(ctx);
      p.catch(() => {});
      prepared.set(c.name, p);
    }
    const started = new Map<string, Promise<void>>();
    const start = (c: Component): Promise<void> => {
      let p = started.get(c.name);
      if (!p) {
        p = (async () => {
          const deps = await Promise.allSettled(c.deps.map((d) => start(component(d))));
          const failed = c.deps.filter((_, i) => deps[i]!.status === 'rejected');
          if (failed.length) throw new DependencyFailed(c.name, failed);
          await prepared.get(c.name);
          await c.start(ctx);
          if (!ctx.state.up.includes(c.name)) ctx.state.up.push(c.name);
          saveCtx(ctx);
        })();
        started.set(c.name, p);
      }
      return p;
    };
    const results = await Promise.allSettled(selected.map(start));
    // Outputs reflect everything that runs, also components a previous `up` started.
    const outputs = writeOutputs(
      ctx,
      COMPONENTS.filter((c) => ctx.state.up.includes(c.name)),
    );
    const failures = results
      .map((r, i) => ({ r, c: selected[i]! }))
      .filter((x): x is { r: PromiseRejectedResult; c: Component } => x.r.status === 'rejected' && !(x.r.reason instanceof DependencyFailed));
    const skipped = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof DependencyFailed);
    if (failures.length) {
      const msgs = failures.map((f) =>
        f.r.reason instanceof HelixError ? f.r.reason.message : `sandbox/${f.c.name}: ${(f.r.reason as Error)?.message ?? f.r.reason}`,
      );
      const skip = skipped.length
        ? `\nnot started because a dependency failed: ${skipped.map((s) => (s.reason as DependencyFailed).component).join(', ')}`
        : '';
      throw new TargetError('sandbox up', `${failures.length} component${failures.length > 1 ? 's' : ''} failed:\n${msgs.join('\n\n')}${skip}`);
    }
    const durationMs = Date.now() - t0;
    report(`sandbox: up: ${selected.length} components healthy in ${formatDuration(durationMs)}; inventory ${outputs.inventory}`);
    return { components: selected.map((c) => c.name), durationMs, outputs };
  });
}

/**
 * Removes the components' top-level folders under `dir` that cleanup left empty, then `dir`
 * itself if empty. It never descends: a running PostgreSQL's data folder holds empty folders it
 * needs (pg_notify, pg_serial, …), and a `down` of another sandbox folder must not touch them.
 */
function pruneEmptyDirs(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && readdirSync(join(dir, e.name)).length === 0) rmdirSync(join(dir, e.name));
  }
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}

class DependencyFailed extends Error {
  readonly component: string;
  constructor(component: string, deps: string[]) {
    super(`${component}: dependency failed: ${deps.join(', ')}`);
    this.component = component;
  }
}

/**
 * Stops exactly the processes `up` recorded (by pid, after checking each is still ours),
 * removes namespaces, bridge, users it created and the components' data. Keeps credentials,
 * the CA, SSH keys and logs.
 */
export async function down(opts: { report?: Reporter } = {}): Promise<{ stopped: number; leftovers: string[] }> {
  const report = opts.report ?? stderrReporter;
  return withLock(async () => {
    const t0 = Date.now();
    const ctx = context(report);
    const COMPONENTS = catalog().components;
    let stopped = 0;
    const order = [...COMPONENTS].reverse();
    // Only what this sandbox started is cleaned up: another sandbox folder (HELIX_SANDBOX_DIR)
    // must never remove the data of the running one.
    const ours = new Set([...ctx.state.up, ...Object.keys(ctx.state.processes), ...Object.keys(ctx.state.facts)]);
    const extra = Object.keys(ctx.state.processes).filter((n) => !COMPONENTS.some((c) => c.name === n));
    for (const name of [...order.map((c) => c.name), ...extra]) {
      const c = order.find((x) => x.name === name);
      if (c?.beforeStop && ours.has(name)) {
        try {
          await c.beforeStop(ctx);
        } catch (error) {
          report(`sandbox: ${name}: before stop: ${(error as Error).message}`);
        }
      }
      const n = await stopComponent(ctx, name);
      if (n) report(`sandbox: ${name}: stopped ${n} process${n > 1 ? 'es' : ''}`);
      stopped += n;
    }
    for (const c of order.filter((x) => ours.has(x.name))) {
      try {
        await c.cleanup?.(ctx);
      } catch (error) {
        report(`sandbox: ${c.name}: cleanup failed: ${(error as Error).message}`);
      }
    }
    ctx.state.up = [];
    delete ctx.state.facts.sandbox;
    saveCtx(ctx);
    for (const entry of readdirSync(ctx.dir)) if (!KEPT.has(entry)) rmSync(join(ctx.dir, entry), { recursive: true, force: true });
    pruneEmptyDirs(sharedDir(ctx.dir));
    // Only the sandbox that owned the machine-wide network can answer for the machine's state.
    const left = ours.has('net') ? await leftovers([NODE_ROOT, NODE_RUN], [NODE_ROOT, NODE_RUN, `${ctx.dir}/`]) : [];
    for (const l of left) report(`sandbox: down: left behind: ${l}`);
    report(`sandbox: down: stopped ${stopped} processes in ${formatDuration(Date.now() - t0)}${left.length ? `; ${left.length} traces left behind` : ''}`);
    return { stopped, leftovers: left };
  });
}

export interface ComponentStatus extends Health {
  name: string;
  description: string;
  /** Started by `up` (and not yet brought `down`). */
  up: boolean;
}

/** Each component with its health check; components never started report `up: false`. */
export async function status(): Promise<ComponentStatus[]> {
  const ctx = context(() => {});
  return Promise.all(
    catalog().components.map(async (c) => {
      const isUp = ctx.state.up.includes(c.name);
      if (!isUp && !ctx.state.processes[c.name]) return { name: c.name, description: c.description, up: false, ok: false, detail: 'not started' };
      const h = await c.health(ctx).catch((error: Error) => ({ ok: false, detail: error.message }));
      return { name: c.name, description: c.description, up: isUp, ...h };
    }),
  );
}

/** Endpoints and file paths of the running sandbox (no secret values). */
export function env(): SandboxOutputs {
  const ctx = context(() => {});
  return collectOutputs(
    ctx,
    catalog().components.filter((c) => ctx.state.up.includes(c.name)),
  );
}
