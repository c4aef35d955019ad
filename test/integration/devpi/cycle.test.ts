import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { type CliRun, helix, keys, root } from './cli.ts';

/**
 * The whole DevPi life cycle through the real CLI (`node bin/helix.js`) on the sandbox:
 * rollback to a clean state, `--check`, first play, second play, test, rollback, second
 * rollback, play again. Asserts the acceptance points on what the CLI printed.
 */
const changed = (run: CliRun): number => run.events.filter((e) => e.type === 'task.changed').length;

/** Every secret value the play handles: inventory secrets and what it generated into the cluster. */
function secretValues(): string[] {
  const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, any>; kubernetes: { kubeconfig: string } };
  const values: string[] = [];
  for (const v of Object.values(inv.vars)) {
    if (v && typeof v === 'object' && v.secret?.file) values.push(readFileSync(v.secret.file, 'utf8').trim());
  }
  for (const secret of ['oauth2-proxy', 'ephemeral-redis-config', 'devpi-root']) {
    const r = spawnSync('kubectl', ['--kubeconfig', inv.kubernetes.kubeconfig, '-n', 'devpi', 'get', 'secret', secret, '-o', 'json'], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    for (const b64 of Object.values((JSON.parse(r.stdout) as { data: Record<string, string> }).data)) {
      const v = Buffer.from(b64, 'base64').toString('utf8');
      for (const line of v.split('\n')) {
        const m = /^requirepass (.+)$/.exec(line);
        if (m) values.push(m[1]!);
      }
      if (!v.includes('\n')) values.push(v);
    }
  }
  return values.filter((v) => v.length >= 8);
}

describe('devpi on the sandbox, through the CLI', () => {
  const outputs: CliRun[] = [];
  const seen = new Set<string>();
  const run = (args: string[], env?: NodeJS.ProcessEnv): CliRun => {
    const r = helix(args, env);
    outputs.push(r);
    return r;
  };

  beforeAll(() => {
    const r = run(['rollback', 'devpi', '--env', 'local', '--purge-data']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  }, 900_000);

  let checkRun: CliRun;
  let firstRun: CliRun;

  it('--check before the first play predicts exactly the changes the first play makes', () => {
    checkRun = run(['play', 'devpi', '--env', 'local', '--check', '--json']);
    expect(checkRun.code, checkRun.stderr).toBe(0);
    firstRun = run(['play', 'devpi', '--env', 'local', '--json']);
    expect(firstRun.code, firstRun.stdout.slice(-3000) + firstRun.stderr).toBe(0);
    expect(keys(firstRun).length).toBeGreaterThan(30);
    expect(keys(checkRun)).toEqual(keys(firstRun));
    secretValues().forEach((v) => seen.add(v));
    expect(keys(firstRun)).toContain('create keycloak:thinkube/client/oauth2-proxy-devpi');
    expect(keys(firstRun)).toContain('create k8s:apps/v1/Deployment/devpi/devpi');
  }, 900_000);

  it('the second play changes nothing (and shows no diff)', () => {
    const again = run(['play', 'devpi', '--env', 'local', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(keys(again)).toEqual([]);
    expect(changed(again)).toBe(0);
    const human = run(['play', 'devpi', '--env', 'local', '--diff']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/changed=0/);
  }, 900_000);

  it('drift in Keycloak is corrected (redirect URI, audience mapper) and the cookie secret is kept', async () => {
    const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, any>; kubernetes: { kubeconfig: string } };
    const kc = inv.vars.keycloak_url as string;
    const password = readFileSync(inv.vars.keycloak_admin_password.secret.file, 'utf8').trim();
    const tokenRes = await fetch(`${kc}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: 'admin-cli', grant_type: 'password', username: inv.vars.keycloak_admin_user, password }),
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${kc}/admin/realms/thinkube${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const [client] = (await (await api('/clients?clientId=oauth2-proxy-devpi')).json()) as { id: string; redirectUris: string[] }[];
    expect(client).toBeDefined();
    const drifted = { ...client!, redirectUris: ['https://devpi.old.example/oauth2/callback'] };
    expect((await api(`/clients/${client!.id}`, { method: 'PUT', body: JSON.stringify(drifted) })).status).toBe(204);
    const mappers = (await (await api(`/clients/${client!.id}/protocol-mappers/models`)).json()) as { id: string; name: string }[];
    const aud = mappers.find((m) => m.name === 'audience-mapper');
    expect((await api(`/clients/${client!.id}/protocol-mappers/models/${aud!.id}`, { method: 'DELETE' })).status).toBe(204);
    const cookie = () =>
      spawnSync(
        'kubectl',
        ['--kubeconfig', inv.kubernetes.kubeconfig, '-n', 'devpi', 'get', 'secret', 'oauth2-proxy', '-o', 'jsonpath={.data.cookie-secret}'],
        { encoding: 'utf8' },
      ).stdout;
    const before = cookie();
    const fix = run(['play', 'devpi', '--env', 'local', '--only', '40_keycloak_client,50_oauth2_proxy', '--json']);
    expect(fix.code, fix.stderr).toBe(0);
    expect(keys(fix)).toEqual([
      'create keycloak:thinkube/client/oauth2-proxy-devpi/mapper/audience-mapper',
      'update keycloak:thinkube/client/oauth2-proxy-devpi',
    ]);
    const again = run(['play', 'devpi', '--env', 'local', '--json']);
    expect(keys(again)).toEqual([]);
    expect(cookie()).toBe(before);
  }, 900_000);

  it('the test (88) passes for real, and leaves nothing behind', async () => {
    const t = run(['test', 'devpi', '--env', 'local', '--json']);
    expect(t.code, t.stdout.slice(-4000) + t.stderr).toBe(0);
    const dashboard = t.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/88_test_devpi/live/dashboard');
    expect(dashboard?.reason).toMatch(
      /sent to Keycloak \(client oauth2-proxy-devpi, redirect https:\/\/packages\.devpi\.sandbox\.test\/oauth2\/callback, PKCE S256\)/,
    );
    expect(dashboard?.reason).toMatch(/session cookie Domain=\.?devpi\.sandbox\.test Secure SameSite=Lax/);
    expect(dashboard?.reason).toMatch(/session is in the Redis pod/);
    // What the test writes, it reports as changes: the test user (made and removed), the throwaway
    // index, and the round trip on the workstation (devpi-client and pip, over SSH).
    expect(keys(t)).toEqual([
      'create devpi:root/helix-test-*',
      'create keycloak:thinkube/user/helix-devpi-test',
      'delete keycloak:thinkube/user/helix-devpi-test',
      'run exec:host1:devpi/88_test_workstation/round-trip',
    ]);
    const roundTrip = t.events.find((e) => e.type === 'task.changed' && e.path === 'devpi/88_test_workstation/round-trip');
    expect(roundTrip).toBeDefined();
    const package_ = t.events.find((e) => e.type === 'task.changed' && e.path === 'devpi/88_test_devpi/live/package');
    expect(package_).toBeDefined();
    // And leaves nothing: no index but root/pypi and root/stable, no test user.
    const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, any> };
    const ca = inv.vars.tls_ca_file as string;
    const { Agent } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: readFileSync(ca, 'utf8') } });
    const res = await fetch('https://packages-api.devpi.sandbox.test/root', { headers: { accept: 'application/json' }, dispatcher } as RequestInit);
    const indexes = Object.keys(((await res.json()) as { result: { indexes: Record<string, unknown> } }).result.indexes).sort();
    expect(indexes).toEqual(['pypi', 'stable']);
    // Nothing was uploaded to the real index either (it is not volatile: an upload could not be taken back).
    const stable = await fetch('https://packages-api.devpi.sandbox.test/root/stable', { headers: { accept: 'application/json' }, dispatcher } as RequestInit);
    expect(((await stable.json()) as { result: { projects: string[] } }).result.projects).toEqual([]);
    const check = run(['test', 'devpi', '--env', 'local', '--check', '--json']);
    expect(check.code, check.stderr).toBe(0);
    expect(keys(check), '--check predicts what the test writes').toEqual(keys(t));
  }, 900_000);

  it('bad input exits 2 with the variable path before any change', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-devpi-bad-'));
    try {
      symlinkSync(join(root, 'playbooks'), join(dir, 'playbooks'));
      mkdirSync(join(dir, 'inventory'));
      const local = readFileSync(join(root, 'inventory', 'local.yaml'), 'utf8');
      writeFileSync(join(dir, 'inventory', 'bad.yaml'), local.replace('domain_name: devpi.sandbox.test', 'domain_name: "not a domain"'));
      const bad = run(['play', 'devpi', '--env', 'bad', '--json'], { HELIX_ROOT: dir });
      expect(bad.code).toBe(2);
      const invalid = bad.events.find((e) => e.type === 'run.invalid');
      expect(invalid?.problems.map((p: { path: string }) => p.path)).toContain('devpi/vars.domain_name');
      expect(bad.events.some((e) => e.type === 'task.start')).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rollback removes what the play created but keeps the data; --purge-data removes it; a second rollback has nothing to do; play converges again', () => {
    const predicted = run(['rollback', 'devpi', '--env', 'local', '--check', '--json']);
    expect(predicted.code, predicted.stdout.slice(-3000) + predicted.stderr).toBe(0);
    const rb = run(['rollback', 'devpi', '--env', 'local', '--json']);
    expect(rb.code, rb.stdout.slice(-3000) + rb.stderr).toBe(0);
    const removed = keys(rb);
    expect(keys(predicted), '--check predicts the rollback exactly').toEqual(removed);
    for (const k of ['delete keycloak:thinkube/client/oauth2-proxy-devpi', 'delete k8s:apps/v1/Deployment/devpi/devpi']) {
      expect(removed).toContain(k);
    }
    const data = ['delete k8s:v1/Namespace/_/devpi', 'delete k8s:v1/PersistentVolumeClaim/devpi/devpi-data-pvc'];
    for (const k of data) expect(removed, 'the data stays without --purge-data').not.toContain(k);
    expect(removed.some((k) => k.startsWith('delete git:') && k.includes('#helix-devpi'))).toBe(true);
    expect(
      removed.some((k) => k.startsWith('delete image:registry.sandbox.test/helix/devpi:helix-devpi-image-')),
      'the built image is deleted',
    ).toBe(true);
    expect(removed.some((k) => k.startsWith('delete file:host1:') && k.endsWith('devpi-client/venv'))).toBe(true);
    const purged = run(['rollback', 'devpi', '--env', 'local', '--purge-data', '--json']);
    expect(purged.code, purged.stdout.slice(-3000) + purged.stderr).toBe(0);
    for (const k of data) expect(keys(purged)).toContain(k);
    expect(
      keys(purged).every((k) => k.startsWith('delete k8s:v1/')),
      'only the data is left to remove',
    ).toBe(true);
    const twice = run(['rollback', 'devpi', '--env', 'local', '--purge-data', '--json']);
    expect(twice.code, twice.stdout.slice(-3000) + twice.stderr).toBe(0);
    expect(keys(twice)).toEqual([]);
    const replay = run(['play', 'devpi', '--env', 'local', '--json']);
    expect(replay.code, replay.stdout.slice(-3000) + replay.stderr).toBe(0);
    expect(keys(replay)).toEqual(keys(firstRun));
  }, 900_000);

  it('the Ingress variant on Traefik (annotations and Middlewares) converges, passes the test, and rolls back', () => {
    const ingress = ['--set', 'ingress.kind=ingress', '--set', 'ingress.class_name=traefik', '--set', 'ingress.controller=traefik'];
    const routes = ['--only', '89_rollback_devpi/routes'];
    const drop = run(['rollback', 'devpi', '--env', 'local', ...routes, '--json']);
    expect(drop.code, drop.stderr).toBe(0);
    expect(keys(drop)).toEqual([
      'delete k8s:gateway.networking.k8s.io/v1/HTTPRoute/devpi/devpi-api',
      'delete k8s:gateway.networking.k8s.io/v1/HTTPRoute/devpi/devpi-dashboard',
    ]);
    try {
      const play = run(['play', 'devpi', '--env', 'local', ...ingress, '--json']);
      expect(play.code, play.stdout.slice(-3000) + play.stderr).toBe(0);
      expect(keys(play)).toEqual([
        'create k8s:networking.k8s.io/v1/Ingress/devpi/devpi-api',
        'create k8s:networking.k8s.io/v1/Ingress/devpi/devpi-dashboard',
        'create k8s:traefik.io/v1alpha1/Middleware/devpi/devpi-api-headers',
        'create k8s:traefik.io/v1alpha1/Middleware/devpi/devpi-body-limit',
        'create k8s:traefik.io/v1alpha1/Middleware/devpi/devpi-dashboard-headers',
      ]);
      expect(keys(run(['play', 'devpi', '--env', 'local', ...ingress, '--json']))).toEqual([]);
      const t = run(['test', 'devpi', '--env', 'local', ...ingress, '--json']);
      expect(t.code, t.stdout.slice(-4000) + t.stderr).toBe(0);
      expect(t.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/88_test_devpi/live/dashboard')?.reason).toMatch(
        /links on https:\/\/packages-api\.devpi\.sandbox\.test.*session cookie Domain/,
      );
      const predicted = run(['rollback', 'devpi', '--env', 'local', ...ingress, ...routes, '--check', '--json']);
      const removed = run(['rollback', 'devpi', '--env', 'local', ...ingress, ...routes, '--json']);
      expect(removed.code, removed.stderr).toBe(0);
      expect(keys(removed)).toEqual(keys(play).map((k) => k.replace(/^create /, 'delete ')));
      expect(keys(predicted)).toEqual(keys(removed));
    } finally {
      const back = run(['play', 'devpi', '--env', 'local', '--json']);
      expect(back.code, back.stderr).toBe(0);
    }
  }, 900_000);

  afterAll(() => {
    // No secret value in anything the CLI printed (stdout, stderr, --json, --diff).
    secretValues().forEach((v) => seen.add(v));
    const secrets = [...seen];
    expect(secrets.length).toBeGreaterThan(3);
    for (const o of outputs) {
      for (const s of secrets) {
        expect(o.stdout.includes(s) || o.stderr.includes(s), 'a secret value was printed').toBe(false);
      }
    }
  }, 120_000);
});
