import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { RunEvent } from '../../../src/index.ts';
import type { KubeClient } from '../../../src/modules/k8s/client.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import type { RunRecord } from '../../../src/runtime/state/index.ts';
import { sandboxClient } from '../k8s/helpers.ts';

/**
 * Shared by the issue-9 safety tests: the real CLI as a child process (events read from
 * `--json` stdout as they come), and readers of what a run leaves on the cluster (objects,
 * journal records, the run lock).
 */
export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const root = fileURLToPath(new URL('../../fixtures/safetyproject', import.meta.url));
export const SYSTEM_NAMESPACE = 'helix-system';

/**
 * Known secret values, fresh per test process. `+` and `/` make the API token an invalid
 * label value (one bad-input case relies on the server quoting it back in its error). The
 * password's quotes, backslash, space and `$` make each of its forms (JSON-escaped,
 * shell-quoted, URL- and form-encoded) differ from the value, so the sweep looks for each.
 */
export const SECRETS = {
  apiToken: `tok+${randomBytes(9).toString('hex')}/Zq9`,
  dbPassword: `pw-${randomBytes(9).toString('hex')} "q'\\$Xy7`,
};

/** `--json` prints events, and one `error` line for an error that is not a validation problem. */
export type JsonLine = RunEvent | { type: 'error'; message: string; exitCode: number };

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: JsonLine[];
}

export interface Running {
  child: ChildProcess;
  pid: number;
  /** Events seen so far (with `--json`). */
  events: JsonLine[];
  /** Output seen so far. */
  out(): string;
  /** Resolves with the first event (seen or to come) matching, counting from the start. */
  waitFor(match: (e: JsonLine, index: number) => boolean, timeoutMs?: number): Promise<JsonLine>;
  /** Resolves once stdout holds text matching `pattern`. */
  waitForText(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<Finished>;
}

export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELIX_ROOT: root,
    SAFETY_API_TOKEN: SECRETS.apiToken,
    SAFETY_DB_PASSWORD: SECRETS.dbPassword,
    NO_COLOR: '1',
    ...extra,
  };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** Starts `helix <args>` (add `--json` yourself for events). */
export function start(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repo): Running {
  const child = spawn('node', ['bin/helix.js', ...args], { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const events: JsonLine[] = [];
  const watchers = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let i: number;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      if (line.startsWith('{')) {
        try {
          events.push(JSON.parse(line) as JsonLine);
        } catch {
          // not an event
        }
      }
    }
    for (const w of [...watchers]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
  const done = new Promise<Finished>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of [...watchers]) w();
      resolve({ code, signal, stdout, stderr, events });
    });
  });
  let exited = false;
  void done.then(() => (exited = true));
  const until = <T>(test: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = test();
        if (found !== undefined) {
          watchers.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (exited) {
          watchers.delete(check);
          clearTimeout(timer);
          reject(new Error(`helix ${args.join(' ')} exited before ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`timed out waiting for ${what}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });
  return {
    child,
    pid: child.pid!,
    events,
    out: () => stdout,
    waitFor: (match, timeoutMs = 120_000) => until(() => events.find(match), 'the awaited event', timeoutMs),
    waitForText: async (pattern, timeoutMs = 120_000) => {
      await until(() => (pattern.test(stdout) ? true : undefined), `output matching ${pattern}`, timeoutMs);
    },
    done,
  };
}

/** Runs `helix <args>` to the end. */
/**
 * Two plays started together: whoever takes the lock is paused while it holds it, so the race
 * is decided by the lock and not by how fast the machine happens to be; the other must meet a
 * held lock. Returns the winner and how both ended.
 */
export async function raceForLock(a: Running, b: Running): Promise<{ winner: Running; won: Finished; lost: Finished }> {
  const winner = await Promise.any([a, b].map((r) => r.waitFor((e) => e.type === 'lock.acquired').then(() => r)));
  const loser = winner === a ? b : a;
  winner.child.kill('SIGSTOP');
  const lost = await loser.done;
  winner.child.kill('SIGCONT');
  return { winner, won: await winner.done, lost };
}

export async function helix(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 300_000): Promise<Finished> {
  const r = start(args, env);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  try {
    return await r.done;
  } finally {
    clearTimeout(timer);
  }
}

/** `helix play safety --env <env> --json [--set namespace=<ns>] …`. */
export function playArgs(env: string, namespace: string | undefined, ...more: string[]): string[] {
  return ['play', 'safety', '--env', env, '--json', ...(namespace ? ['--set', `namespace=${namespace}`] : []), ...more];
}

export const changedKeys = (events: readonly JsonLine[]): string[] =>
  events.flatMap((e) => (e.type === 'task.changed' ? e.changes.map((c) => `${c.action} ${c.target}`) : [])).sort();

export const recapOf = (events: readonly JsonLine[]) => {
  const end = events.find((e) => e.type === 'run.end');
  return end?.type === 'run.end' ? end.recap.localhost : undefined;
};

export const problemsOf = (events: readonly JsonLine[]) => events.flatMap((e) => (e.type === 'run.invalid' ? e.problems : []));
export const errorOf = (events: readonly JsonLine[]) => events.flatMap((e) => (e.type === 'error' ? [e.message] : [])).join('\n');

/** Task boundaries: a task that finished (ok, changed, skipped or failed). */
export const isTaskEnd = (e: JsonLine): boolean => e.type === 'task.ok' || e.type === 'task.changed' || e.type === 'task.skipped' || e.type === 'task.failed';

let client: KubeClient | undefined;
export function kube(): KubeClient {
  return (client ??= sandboxClient());
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Unique namespace names per test process, so reruns never meet a namespace still terminating. */
export function uniqueNs(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Deletes namespaces without waiting (background cleanup). */
export async function dropNamespaces(names: readonly string[]): Promise<void> {
  for (const name of names)
    await kube()
      .delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' })
      .catch(() => undefined);
}

/** Kinds a namespace of the fixture holds: what helix applies and what controllers make of it. */
const NAMESPACED: readonly [string, string][] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'ReplicaSet'],
  ['v1', 'Pod'],
  ['discovery.k8s.io/v1', 'EndpointSlice'],
];

/** Every object of the namespaces (and the namespaces), by resourceVersion: any write changes this. */
export async function resourceVersions(namespaces: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const ns of namespaces) {
    const n = await kube().get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    if (n) out[`Namespace/${ns}`] = String(n.metadata.resourceVersion);
    for (const [apiVersion, kind] of NAMESPACED) {
      for (const o of await kube().list(apiVersion, kind, { namespace: ns })) out[`${kind}/${ns}/${o.metadata.name}`] = String(o.metadata.resourceVersion);
    }
  }
  return out;
}

/**
 * The namespaces' resourceVersions once controllers have stopped writing to them: two reads a
 * second apart agree. Controllers (EndpointSlice, ReplicaSet status, kwok's pod status) keep
 * writing for a moment after a play returns; those writes are not helix's and must not be taken
 * for a change the run under test made.
 */
export async function settledResourceVersions(namespaces: readonly string[], timeoutMs = 60_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let last = await resourceVersions(namespaces);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await resourceVersions(namespaces);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    if (Date.now() > deadline) throw new Error(`namespaces ${namespaces.join(', ')} still changing after ${timeoutMs} ms`);
    last = now;
  }
}

/** Kinds the fixture applies. */
const APPLIED: readonly [string, string][] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['apps/v1', 'Deployment'],
];

/**
 * What helix applied in a namespace, with server-set fields stripped and the namespace's name
 * replaced by `NS`, so two namespaces played by the same component compare equal. Secret
 * values are compared by digest (a failing comparison must not print them).
 */
export async function appliedState(ns: string): Promise<Record<string, unknown>> {
  const strip = (o: KubeObject): unknown => {
    const { resourceVersion: _rv, uid: _uid, creationTimestamp: _ct, generation: _g, managedFields: _mf, selfLink: _sl, annotations, ...md } = o.metadata;
    const kept = Object.fromEntries(Object.entries((annotations ?? {}) as Record<string, string>).filter(([k]) => k !== 'deployment.kubernetes.io/revision'));
    const { status: _s, ...rest } = o;
    if (o.kind === 'Secret' && rest.data) {
      const digest = (v: string) => createHash('sha256').update(Buffer.from(v, 'base64').toString('utf8').split(ns).join('NS')).digest('hex').slice(0, 16);
      rest.data = Object.fromEntries(Object.entries(rest.data as Record<string, string>).map(([k, v]) => [k, `sha256:${digest(v)}`]));
    }
    const spec = rest.spec && o.kind === 'Service' ? (({ clusterIP: _c, clusterIPs: _cs, ...s }) => s)(rest.spec as Record<string, unknown>) : rest.spec;
    const clean = { ...rest, metadata: { ...md, ...(Object.keys(kept).length ? { annotations: kept } : {}) }, ...(spec ? { spec } : {}) };
    return JSON.parse(JSON.stringify(clean).split(ns).join('NS'));
  };
  const out: Record<string, unknown> = {};
  const n = await kube().get({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  if (n) out.Namespace = strip(n);
  for (const [apiVersion, kind] of APPLIED) {
    for (const o of await kube().list(apiVersion, kind, { namespace: ns })) {
      if (o.metadata.name === 'kube-root-ca.crt' || (o.metadata.name as string).startsWith('default-token')) continue;
      out[`${kind}/${o.metadata.name}`] = strip(o);
    }
  }
  return out;
}

/** The run records helix keeps for (safety, env) in `helix-system`, oldest first, and their raw Secrets. */
export async function journal(env: string, component = 'safety'): Promise<{ records: RunRecord[]; raw: KubeObject[] }> {
  const raw = await kube().list('v1', 'Secret', { namespace: SYSTEM_NAMESPACE, labelSelector: `helix.dev/component=${component},helix.dev/env=${env}` });
  const records = raw
    .map((s) => JSON.parse(gunzipSync(Buffer.from(String(s.data?.record ?? ''), 'base64')).toString('utf8')) as RunRecord)
    .sort((a, b) => a.seq - b.seq);
  return { records, raw };
}

export function leaseName(env: string, component = 'safety'): string {
  return `helix-lock-${component}-${env}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** The run lock of (safety, env), or undefined when nobody holds it. */
export async function lease(env: string, component = 'safety'): Promise<KubeObject | undefined> {
  return kube().get({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: SYSTEM_NAMESPACE, name: leaseName(env, component) });
}

/** Waits until the lease's time has run out (its holder was killed and renews no more). */
export async function waitLeaseExpired(env: string, component = 'safety'): Promise<void> {
  const l = await lease(env, component);
  if (!l) return;
  const renewed = Date.parse(String(l.spec?.renewTime ?? l.spec?.acquireTime));
  const ttl = Number(l.spec?.leaseDurationSeconds ?? 60);
  const wait = renewed + ttl * 1000 + 500 - Date.now();
  if (wait > 0) await sleep(wait);
}

/** helix-system objects that belong to (safety, env): the journal Secrets and the Lease, by resourceVersion. */
export async function stateObjects(env: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of (await journal(env)).raw) out[`Secret/${s.metadata.name}`] = String(s.metadata.resourceVersion);
  const l = await lease(env);
  if (l) out[`Lease/${l.metadata.name}`] = String(l.metadata.resourceVersion);
  return out;
}

/** The sandbox's kube-apiserver process (pid and log), as `helix sandbox up` recorded it. */
export function apiserverProcess(): { pid: number; log: string } {
  const state = JSON.parse(readFileSync(`${sandboxDir()}/state.json`, 'utf8')) as {
    processes: Record<string, Record<string, { pid: number; log: string }>>;
  };
  const p = state.processes['kube-apiserver']?.['kube-apiserver'];
  if (!p) throw new Error('the sandbox has no kube-apiserver process recorded');
  return p;
}

/**
 * Every way a secret value could be printed: as is, JSON-escaped (once and twice), shell-quoted
 * (inside single and double quotes), URL-encoded and form-encoded, base64 and base64url. Built
 * here, independently of helix's masking code.
 */
export function secretForms(values: readonly string[]): string[] {
  const json = (v: string): string => JSON.stringify(v).slice(1, -1);
  return [
    ...new Set(
      values.flatMap((v) => [
        v,
        json(v),
        json(json(v)),
        v.replace(/'/g, `'\\''`),
        v.replace(/["\\$`]/g, '\\$&'),
        encodeURIComponent(v),
        new URLSearchParams({ v }).toString().slice(2),
        Buffer.from(v, 'utf8').toString('base64'),
        Buffer.from(v, 'utf8').toString('base64url'),
      ]),
    ),
  ];
}

/** The places among `texts` (label → text) where one of the secret values appears. */
export function leaks(texts: Record<string, string>, values: readonly string[]): string[] {
  const forms = secretForms(values);
  return Object.entries(texts).flatMap(([where, text]) =>
    forms.filter((f) => text.includes(f)).map((f) => `${where} contains ${f === values.find((v) => v === f) ? 'a secret' : 'an encoded secret'}`),
  );
}

/**
 * Keys of a Secret that the components set to plain text, not from a secret source (the Argo CD
 * repository's `type` and `url`, a basic-auth `username`, SSH `known_hosts`): helix shows them
 * like any plain value, so the sweep does not look for them.
 */
const PLAIN_SECRET_KEYS = new Set(['type', 'url', 'username', 'known_hosts']);

/**
 * Secret values a real component's runs must never print: the sandbox's generated credentials
 * and every value of the Secrets helix applied for the component (found by its ownership labels)
 * or kept in `namespaces`, but for {@link PLAIN_SECRET_KEYS}. Multi-line values (config files)
 * and short ones are left out.
 */
export async function componentSecrets(component: string, namespaces: readonly string[] = []): Promise<string[]> {
  const dir = join(sandboxDir(), 'secrets');
  const values = existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8').replace(/\r?\n$/, '')) : [];
  const owned = await kube().list('v1', 'Secret', { labelSelector: `helix.dev/component=${component}` });
  const kept = (await Promise.all(namespaces.map((ns) => kube().list('v1', 'Secret', { namespace: ns })))).flat();
  for (const s of [...owned, ...kept]) {
    if (s.metadata.namespace === SYSTEM_NAMESPACE) continue;
    for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) {
      if (!PLAIN_SECRET_KEYS.has(k)) values.push(Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  return [...new Set(values.filter((v) => v.length >= 12 && !v.includes('\n')))];
}

/**
 * Runs a real component every way a user reports on it (play with --json and --diff, human
 * --diff, check, its test playbook, history) and returns everything printed and stored: the
 * outputs, the Lease while a play holds it, and the decoded journal. Exit codes are recorded,
 * not asserted: the sweep is about what is printed.
 */
export async function sweepComponent(component: string, env: string, extra: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const captured: Record<string, string> = {};
  const keep = (label: string, out: Finished): void => {
    captured[`${label} (exit ${out.code}): stdout`] = out.stdout;
    captured[`${label} (exit ${out.code}): stderr`] = out.stderr;
  };
  const base = ['--env', env, '--wait-lock', '10m'];
  const played = start(['play', component, ...base, '--json', '--diff'], extra);
  await played.waitFor((e) => e.type === 'lock.acquired', 900_000);
  captured['lock (Lease) while held'] = JSON.stringify(await lease(env, component));
  keep('play --json --diff', await played.done);
  keep('play --diff (human)', await helix(['play', component, ...base, '--diff', '--verbose'], extra, 1_200_000));
  keep('play --check --diff (human)', await helix(['play', component, ...base, '--check', '--diff', '--verbose'], extra, 1_200_000));
  keep('play --check --diff --json', await helix(['play', component, ...base, '--check', '--diff', '--json'], extra, 1_200_000));
  keep('test (88) --json', await helix(['test', component, ...base, '--json'], extra, 1_200_000));
  keep('history', await helix(['history', component, '--env', env], extra));
  keep('history --json', await helix(['history', component, '--env', env, '--json'], extra));
  const { records, raw } = await journal(env, component);
  captured['journal records (decoded)'] = JSON.stringify(records);
  captured['journal Secrets (raw)'] = JSON.stringify(raw);
  return captured;
}
