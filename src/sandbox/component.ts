import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TargetError } from '../runtime/errors.ts';
import { formatDuration, type Reporter } from './progress.ts';
import { isOurs, requirePortFree, spawnDaemon, stopPid, tailFile, waitUntil } from './proc.ts';
import { saveState, type SandboxState } from './state.ts';

export interface Health {
  ok: boolean;
  detail: string;
}

/** What a running component adds to the inventory and to `helix sandbox env`. */
export interface Contribution {
  vars?: Record<string, unknown>;
  /** `NAME → value` for `helix sandbox env` (never a secret value: paths to secret files only). */
  env?: Record<string, string>;
  hosts?: Record<string, InventoryHost>;
  groups?: Record<string, string[]>;
  kubernetes?: { kubeconfig: string; context: string };
}

export interface InventoryHost {
  address: string;
  port: number;
  user: string;
  key: string;
  hostKeys: string[];
}

export interface Ctx {
  /** The sandbox state folder (`sandboxDir()`). */
  dir: string;
  state: SandboxState;
  report: Reporter;
  /** Folder for logs. */
  logs: string;
  /** SSH hosts this `up` asked for (`--ssh-hosts`); when absent the ssh component keeps what runs. */
  sshHosts?: number;
}

export function saveCtx(ctx: Ctx): void {
  saveState(ctx.state, ctx.dir);
}

/**
 * A sandbox component. `prepare` builds or downloads (cached by version), `start` is
 * idempotent (reuses what runs and is healthy), `health` is what `status` shows, and
 * `cleanup` removes what is not a process (namespaces, data) after `down` stopped its pids.
 */
export interface Component {
  name: string;
  description: string;
  deps: readonly string[];
  /**
   * An environment variable that must be `1` for `up` without `--only` to start this
   * component (one that costs a long build and that few tests need). Naming it in `--only`
   * starts it too. Absent: always started.
   */
  optIn?: string;
  prepare(ctx: Ctx): Promise<void>;
  start(ctx: Ctx): Promise<void>;
  health(ctx: Ctx): Promise<Health>;
  cleanup?(ctx: Ctx): Promise<void>;
  /** Runs in `down` before this component's processes stop (later components are already stopped). */
  beforeStop?(ctx: Ctx): Promise<void>;
  contribute?(ctx: Ctx): Contribution;
}

export interface ProcessSpec {
  component: string;
  /** Name of this process within the component (one component may run several). */
  proc: string;
  cmd: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** A string of the command line that identifies it (defaults to a unique argument). */
  marker: string;
  /** Loopback ports it will listen on, checked free before it starts. */
  ports?: readonly number[];
  healthy: () => Promise<boolean>;
  /** @default 120 s */
  timeoutMs?: number;
  /** Its configuration changed since it started: a running process is stopped and started again. */
  changed?: boolean;
}

/** A component that failed to become healthy: its name, the end of its log and the log's path. */
export function componentFailed(component: string, why: string, log: string): TargetError {
  const tail = tailFile(log, 25);
  return new TargetError(`sandbox/${component}`, `${why}\n--- last lines of ${log} ---\n${tail || '(empty log)'}\n--- log: ${log}`);
}

export function logFile(ctx: Ctx, component: string, proc: string): string {
  mkdirSync(ctx.logs, { recursive: true, mode: 0o700 });
  return join(ctx.logs, proc === component ? `${component}.log` : `${component}-${proc}.log`);
}

/**
 * Starts a process unless the one recorded in the state is still ours and alive, then waits
 * until it is healthy. A process that does not become healthy is stopped and reported.
 */
export async function ensureProcess(ctx: Ctx, spec: ProcessSpec): Promise<'started' | 'reused'> {
  const procs = (ctx.state.processes[spec.component] ??= {});
  const rec = procs[spec.proc];
  const log = logFile(ctx, spec.component, spec.proc);
  const timeoutMs = spec.timeoutMs ?? 120_000;
  const label = spec.proc === spec.component ? spec.component : `${spec.component}/${spec.proc}`;
  if (rec && spec.changed && isOurs(rec.pid, rec.marker)) {
    ctx.report(`sandbox: ${label}: configuration changed, restarting (pid ${rec.pid})`);
    await stopPid(rec.pid);
  }
  if (rec && isOurs(rec.pid, rec.marker)) {
    const r = await waitUntil(spec.healthy, { timeoutMs, alive: () => isOurs(rec.pid, rec.marker) });
    if (r === 'ok') {
      ctx.report(`sandbox: ${label}: already running (pid ${rec.pid})`);
      return 'reused';
    }
    throw componentFailed(label, `running process ${rec.pid} is not healthy (${r})`, rec.log);
  }
  if (rec) delete procs[spec.proc];
  for (const port of spec.ports ?? []) await requirePortFree(label, '127.0.0.1', port);
  const t0 = Date.now();
  const pid = spawnDaemon(spec.cmd, spec.args, { log, env: spec.env, cwd: spec.cwd, uid: spec.uid, gid: spec.gid });
  procs[spec.proc] = { pid, marker: spec.marker, log, startedAt: new Date().toISOString() };
  saveCtx(ctx);
  ctx.report(`sandbox: ${label}: started (pid ${pid}), waiting until healthy…`);
  const r = await waitUntil(spec.healthy, { timeoutMs, alive: () => isOurs(pid, spec.marker) });
  if (r !== 'ok') {
    await stopPid(pid, 5000);
    delete procs[spec.proc];
    saveCtx(ctx);
    const why = r === 'died' ? 'exited before it became healthy' : `did not become healthy within ${formatDuration(timeoutMs)}`;
    throw componentFailed(label, why, log);
  }
  ctx.report(`sandbox: ${label}: healthy after ${formatDuration(Date.now() - t0)}`);
  return 'started';
}

/** Stops every process the state records for a component (by pid, only if still ours). */
export async function stopComponent(ctx: Ctx, component: string): Promise<number> {
  const procs = ctx.state.processes[component] ?? {};
  let stopped = 0;
  await Promise.all(
    Object.entries(procs).map(async ([name, rec]) => {
      if (isOurs(rec.pid, rec.marker)) {
        await stopPid(rec.pid);
        stopped++;
      }
      delete procs[name];
    }),
  );
  delete ctx.state.processes[component];
  saveCtx(ctx);
  return stopped;
}

/** True when every recorded process of a component is alive and ours. */
export function processesAlive(ctx: Ctx, component: string, expected: readonly string[]): Health {
  const procs = ctx.state.processes[component] ?? {};
  const missing = expected.filter((p) => !procs[p] || !isOurs(procs[p].pid, procs[p].marker));
  if (missing.length) return { ok: false, detail: `not running: ${missing.join(', ')}` };
  return { ok: true, detail: `pid ${expected.map((p) => procs[p]!.pid).join(', ')}` };
}
