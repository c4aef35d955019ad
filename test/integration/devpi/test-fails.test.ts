import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { type CliRun, helix } from './cli.ts';
import { WORKSTATION_FILES } from '../../../playbooks/40_thinkube/core/devpi/names.ts';
import { eventually } from '../sandbox/helpers.ts';

/**
 * Every property `helix test devpi` checks can fail: each case breaks one of them on the
 * running DevPi (the route, oauth2-proxy's configuration, the index's upload ACL, the
 * workstation's shell config), runs the
 * test through the CLI, expects it to fail naming the property, and puts the system back.
 * At the end the play changes nothing and the test passes again.
 */
const NS = 'devpi';

const inv = () => parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, any>; kubernetes: { kubeconfig: string } };

function kubectl(args: string[], input?: string): string {
  const r = spawnSync('kubectl', ['--kubeconfig', inv().kubernetes.kubeconfig, '-n', NS, ...args], { encoding: 'utf8', input, timeout: 180_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let dispatcher: Agent;
async function status(url: string, init: RequestInit = {}): Promise<number> {
  const res = await fetch(url, { ...init, redirect: 'manual', dispatcher } as RequestInit);
  await res.arrayBuffer();
  return res.status;
}

const DASH = 'https://packages.devpi.sandbox.test';
const API = 'https://packages-api.devpi.sandbox.test';

/**
 * Adds a route of the test's own, more specific than helix's (an Exact path beats a
 * PathPrefix), sending `path` on `host` to another backend. helix's objects stay untouched.
 */
function divert(name: string, host: string, path: string, backend: string, port: number): () => void {
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: NS },
    spec: {
      parentRefs: [{ name: 'sandbox', namespace: 'helix-ingress', sectionName: 'websecure' }],
      hostnames: [host],
      rules: [{ matches: [{ path: { type: 'Exact', value: path } }], backendRefs: [{ name: backend, port }] }],
    },
  };
  kubectl(['apply', '-f', '-'], JSON.stringify(route));
  return () => kubectl(['delete', 'httproute', name, '--wait=true']);
}

/** Rewrites one line of oauth2_proxy.cfg and restarts oauth2-proxy (it reads the file at start). */
async function setProxyConfig(from: RegExp, to: string): Promise<string> {
  const cm = JSON.parse(kubectl(['get', 'configmap', 'oauth2-proxy-config', '-o', 'json'])) as { data: Record<string, string> };
  const before = cm.data['oauth2_proxy.cfg']!;
  expect(before).toMatch(from);
  await writeProxyConfig(before.replace(from, to));
  return before;
}

async function writeProxyConfig(text: string): Promise<void> {
  kubectl(['patch', 'configmap', 'oauth2-proxy-config', '--type=merge', '-p', JSON.stringify({ data: { 'oauth2_proxy.cfg': text } })]);
  kubectl(['delete', 'pod', '-l', 'app=oauth2-proxy', '--wait=true']);
  await eventually(
    'oauth2-proxy ready with its new configuration',
    async () => {
      kubectl(['wait', '--for=condition=Ready', 'pod', '-l', 'app=oauth2-proxy', '--timeout=120s']);
      return true;
    },
    180_000,
  );
  await settled();
}

/**
 * Both hosts answer through Traefik as they do when healthy (the dashboard sends an anonymous
 * browser on to log in, the API answers): a restarted pod is Ready before Traefik has its new
 * endpoint, and a test run in between sees a 503 instead of the property it is meant to see.
 */
async function settled(): Promise<void> {
  await eventually(
    'the dashboard asks for a login and the API answers, through Traefik',
    async () => (await status(`${DASH}/`)) === 302 && (await status(`${API}/+api`)) === 200,
    120_000,
  );
}

/** As root on the API host: change an index setting. */
async function patchIndex(setting: string): Promise<void> {
  const pw = Buffer.from(JSON.parse(kubectl(['get', 'secret', 'devpi-root', '-o', 'json'])).data.password, 'base64').toString('utf8');
  const login = await fetch(`${API}/+login`, {
    method: 'POST',
    body: JSON.stringify({ user: 'root', password: pw }),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    dispatcher,
  } as RequestInit);
  const token = ((await login.json()) as { result: { password: string } }).result.password;
  const res = await fetch(`${API}/root/stable`, {
    method: 'PATCH',
    body: JSON.stringify([setting]),
    headers: { 'x-devpi-auth': Buffer.from(`root:${token}`).toString('base64'), 'content-type': 'application/json', accept: 'application/json' },
    dispatcher,
  } as RequestInit);
  expect(res.status).toBe(200);
}

/** Runs `command` on the admin workstation (the sandbox's host1) over SSH, as its login user. */
function onWorkstation(command: string, input?: string): string {
  const i = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as {
    vars: { ssh_command: string };
    hosts: Record<string, { address: string; user: string }>;
  };
  const host = i.hosts.host1!;
  const [ssh, ...options] = i.vars.ssh_command.split(' ');
  const r = spawnSync(ssh!, [...options, `${host.user}@${host.address}`, command], { encoding: 'utf8', input, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`on host1: ${command}: ${r.stderr}`);
  return r.stdout;
}

function failedWith(run: CliRun): string {
  const failed = run.events.filter((e) => e.type === 'task.failed');
  return failed.map((e) => `${e.path}: ${e.error}`).join('\n');
}

describe('every property helix test devpi checks can fail', () => {
  beforeAll(() => {
    dispatcher = new Agent({ connect: { ca: readFileSync(inv().vars.tls_ca_file as string, 'utf8') } });
    const play = helix(['play', 'devpi', '--env', 'local', '--json']);
    expect(play.code, play.stdout.slice(-3000) + play.stderr).toBe(0);
  }, 1_200_000);

  // Each break must leave helix's objects as helix applied them (or values equal to them), so
  // that afterwards a play has nothing to change: routes are diverted by routes of the test's
  // own; oauth2-proxy's configuration is edited and put back to the same text.
  const cases: { name: string; property: string; task: string; breakIt: () => Promise<() => Promise<void>> }[] = [
    {
      name: 'the dashboard route goes straight to devpi (no oauth2-proxy)',
      property: 'dashboard protected',
      task: 'live/dashboard',
      breakIt: async () => {
        const undo = divert('test-bypass-dashboard', 'packages.devpi.sandbox.test', '/', 'devpi', 3141);
        await eventually('the dashboard served without login', async () => (await status(`${DASH}/`)) === 200, 60_000);
        return async () => {
          undo();
          await eventually('the dashboard behind oauth2-proxy again', async () => (await status(`${DASH}/`)) === 302, 60_000);
        };
      },
    },
    {
      name: 'the API route goes through oauth2-proxy',
      property: 'API host open',
      task: 'live/dashboard',
      breakIt: async () => {
        const undo = divert('test-guard-api', 'packages-api.devpi.sandbox.test', '/+api', 'oauth2-proxy', 80);
        await eventually('the API host behind oauth2-proxy', async () => (await status(`${API}/+api`)) !== 200, 60_000);
        return async () => {
          undo();
          await eventually('the API host open again', async () => (await status(`${API}/+api`)) === 200, 60_000);
        };
      },
    },
    {
      name: 'the index lets anyone upload',
      property: 'anonymous upload refused',
      task: 'live/package',
      breakIt: async () => {
        await patchIndex('acl_upload=:ANONYMOUS:');
        return () => patchIndex('acl_upload=root');
      },
    },
    {
      name: 'oauth2-proxy sets the cookie without Secure',
      property: 'cookie flags',
      task: 'live/dashboard',
      breakIt: async () => {
        const before = await setProxyConfig(/^cookie_secure = true$/m, 'cookie_secure = false');
        return () => writeProxyConfig(before);
      },
    },
    {
      name: 'oauth2-proxy keeps sessions in cookies, not in Redis',
      property: 'session store',
      task: 'live/dashboard',
      breakIt: async () => {
        const before = await setProxyConfig(/^session_store_type = "redis"$/m, 'session_store_type = "cookie"');
        return () => writeProxyConfig(before);
      },
    },
    {
      name: 'oauth2-proxy asks Keycloak to redirect elsewhere',
      property: 'client redirect URI',
      task: 'live/dashboard',
      breakIt: async () => {
        const before = await setProxyConfig(/^redirect_url = ".*"$/m, 'redirect_url = "https://elsewhere.devpi.sandbox.test/oauth2/callback"');
        return () => writeProxyConfig(before);
      },
    },
  ];

  for (const c of cases) {
    it(`${c.property}: fails when ${c.name}`, async () => {
      const restore = await c.breakIt();
      try {
        const t = helix(['test', 'devpi', '--env', 'local', '--json']);
        expect(t.code, t.stdout.slice(-2000)).toBe(1);
        expect(failedWith(t)).toMatch(new RegExp(`^devpi/88_test_devpi/${c.task}: .*${c.property}: `, 'm'));
        // Whatever failed, the test user is gone again.
        expect(t.events.find((e) => e.type === 'task.changed' && e.path === 'devpi/88_test_devpi/live/always/remove-test-user')).toBeDefined();
      } finally {
        await restore();
        await settled();
      }
    }, 600_000);
  }

  it('workstation: fails when the shell config points devpi-client at the simple API (the old DEVPI_INDEX)', () => {
    const file = WORKSTATION_FILES.bash;
    const before = onWorkstation(`cat ~/${file}`);
    const broken = before.replace(/^(export DEVPI_INDEX=.*?)(['"]?)$/m, '$1/+simple/$2');
    expect(broken).not.toBe(before);
    onWorkstation(`cat > ~/${file}`, broken);
    try {
      const t = helix(['test', 'devpi', '--env', 'local', '--json']);
      expect(t.code, t.stdout.slice(-2000)).toBe(1);
      expect(failedWith(t)).toMatch(
        /^devpi\/88_test_workstation\/round-trip: [\s\S]*FAILED: ~\/\.config\/devpi\/devpi\.bash sets DEVPI_INDEX=\S*\/\+simple\//m,
      );
    } finally {
      onWorkstation(`cat > ~/${file}`, before);
    }
  }, 600_000);

  afterAll(() => {
    // One hook, in order: the routes a failed case may have left, then put back as it was:
    // the play changes nothing, and the test passes again.
    for (const name of ['test-bypass-dashboard', 'test-guard-api'])
      spawnSync('kubectl', ['--kubeconfig', inv().kubernetes.kubeconfig, '-n', NS, 'delete', 'httproute', name, '--ignore-not-found']);
    const play = helix(['play', 'devpi', '--env', 'local', '--json']);
    expect(play.code, play.stderr).toBe(0);
    expect(play.events.filter((e) => e.type === 'task.changed')).toEqual([]);
    const t = helix(['test', 'devpi', '--env', 'local', '--json']);
    expect(t.code, failedWith(t)).toBe(0);
  }, 900_000);
});
