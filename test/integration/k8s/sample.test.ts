import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/index.ts';
import { changeKey } from '../../../src/index.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { runTasks } from '../../unit/k8s/run.ts';
import { exec } from '../sandbox/helpers.ts';
import { hasKubernetes, kubeEnv, sandboxClient } from './helpers.ts';

/**
 * The issue-3 acceptance sample, through the real CLI against the sandbox:
 * test/fixtures/sampleproject/playbooks/sample (namespace, ConfigMap from a template,
 * Deployment with wait, command with `creates`).
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const root = fileURLToPath(new URL('../../fixtures/sampleproject', import.meta.url));
const NS = 'helix-sample';
const STATE = '/tmp/helix-sample-state';
const TOKEN = `sample-token-${process.pid}-do-not-print`;

/** `--json` prints events, and one `error` line for an error that is not a validation problem. */
type JsonLine = RunEvent | { type: 'error'; message: string; exitCode: number };

interface Played {
  code: number;
  events: JsonLine[];
  keys: Set<string>;
  stdout: string;
  stderr: string;
}

async function helix(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Played> {
  const full: NodeJS.ProcessEnv = { ...process.env, HELIX_ROOT: root, SAMPLE_API_TOKEN: TOKEN, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  const out = await exec('node', ['bin/helix.js', ...args, '--json'], { cwd: repo, env: full, timeoutMs: 180_000 });
  const events = out.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as JsonLine);
  const keys = new Set(events.flatMap((e) => (e.type === 'task.changed' ? e.changes.map(changeKey) : [])));
  expect(out.stdout + out.stderr).not.toContain(TOKEN);
  return { ...out, events, keys };
}

/** What is in the sample's namespace, by resourceVersion: any change on the cluster changes this. */
async function clusterState(): Promise<Record<string, string>> {
  const client = sandboxClient();
  const out: Record<string, string> = {};
  const namespace = await client.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
  if (namespace) out.namespace = namespace.metadata.resourceVersion as string;
  for (const [apiVersion, kind] of [
    ['v1', 'ConfigMap'],
    ['v1', 'Secret'],
    ['apps/v1', 'Deployment'],
  ] as const) {
    for (const o of await client.list(apiVersion, kind, { namespace: NS })) out[`${kind}/${o.metadata.name}`] = o.metadata.resourceVersion as string;
  }
  out.marker = String(existsSync(`${STATE}/initialized`));
  return out;
}

const recapChanged = (p: Played) => {
  const end = p.events.find((e) => e.type === 'run.end');
  return end?.type === 'run.end' ? end.recap.localhost?.changed : undefined;
};

const problemsOf = (p: Played) => p.events.flatMap((e) => (e.type === 'run.invalid' ? e.problems : []));

describe.skipIf(!hasKubernetes())('the sample component through the real CLI', () => {
  beforeAll(async () => {
    const gone = await runTasks([k8s.delete('clean', { apiVersion: 'v1', kind: 'Namespace', name: NS, propagation: 'Background', timeoutMs: 120_000 })], {
      env: kubeEnv(),
    });
    expect(gone.errors).toEqual([]);
    rmSync(STATE, { recursive: true, force: true });
  }, 180_000);

  it('a manifest the API server rejects fails before anything, even on a fresh cluster', async () => {
    const out = await helix(['play', 'sample', '--env', 'rejected-manifest']);
    expect(out.code).toBe(2);
    expect(problemsOf(out)).toEqual([
      {
        path: 'sample/30_deployment/web',
        message: expect.stringMatching(/^Deployment helix-sample\/sample-web rejected by the API server: .*imagePullPolicy: Unsupported value: "Sometimes"/),
      },
    ]);
    expect(await clusterState()).toEqual({ marker: 'false' });
  });

  let predicted: Set<string>;

  it('--check before the first play predicts its changes and changes nothing', async () => {
    const check = await helix(['play', 'sample', '--check']);
    expect(check.code).toBe(0);
    predicted = check.keys;
    expect([...predicted].sort()).toEqual([
      'create file:localhost:/tmp/helix-sample-state/initialized',
      'create k8s:apps/v1/Deployment/helix-sample/sample-web',
      'create k8s:v1/ConfigMap/helix-sample/sample-config',
      'create k8s:v1/Namespace/_/helix-sample',
      'create k8s:v1/Secret/helix-sample/sample-token',
    ]);
    expect(await clusterState()).toEqual({ marker: 'false' });
  });

  it('the first play makes exactly the predicted changes and waits for the rollout', async () => {
    const first = await helix(['play', 'sample']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.keys).toEqual(predicted);
    const waited = first.events.find((e) => e.type === 'task.ok' && e.path === 'sample/30_deployment/web-rolled-out');
    expect(waited).toMatchObject({ reason: 'Deployment helix-sample/sample-web: 2 of 2 replicas updated and available' });
    const cm = await sandboxClient().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'sample-config' });
    expect(cm?.data).toEqual({ GREETING: 'hello from helix' });
    expect(existsSync(`${STATE}/initialized`)).toBe(true);
  });

  it('the second play reports 0 changed; --check after reports none; the test playbook passes', async () => {
    const before = await clusterState();
    const second = await helix(['play', 'sample']);
    expect(second.code).toBe(0);
    expect(recapChanged(second)).toBe(0);
    expect(second.keys).toEqual(new Set());
    const check = await helix(['play', 'sample', '--check']);
    expect(check.code).toBe(0);
    expect(check.keys).toEqual(new Set());
    expect(await clusterState()).toEqual(before);
    const test = await helix(['test', 'sample']);
    expect(test.code).toBe(0);
  });

  const bad: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['unknown environment', ['--env', 'nope'], {}, /unknown environment "nope"/],
    ['malformed inventory YAML', ['--env', 'malformed'], {}, /inventory\/malformed\.yaml: malformed YAML \(line \d+\)/],
    ['missing secret', [], { SAMPLE_API_TOKEN: undefined }, /components\.sample\.api_token: secret from environment variable SAMPLE_API_TOKEN is not set/],
    [
      'template with an undefined variable',
      ['--env', 'undefined-variable'],
      {},
      /sample\/20_config: template .*undefined-variable\.yaml\.hbs.*undefined variable "greting"/,
    ],
    [
      'manifest rejected by the API schema',
      ['--env', 'rejected-manifest'],
      {},
      /sample\/30_deployment\/web: Deployment helix-sample\/sample-web rejected by the API server/,
    ],
    ['unknown --only', ['--only', 'nope'], {}, /sample\/nope: --only: no playbook or task named "nope"/],
  ];
  for (const [name, args, env, message] of bad) {
    it(`bad input exits 2 with the path and changes nothing: ${name}`, async () => {
      const before = await clusterState();
      const out = await helix(['play', 'sample', ...args], env);
      expect(out.code).toBe(2);
      const said = [...problemsOf(out).map((p) => `${p.path}: ${p.message}`), ...out.events.flatMap((e) => (e.type === 'error' ? [e.message] : []))].join('\n');
      expect(said).toMatch(message);
      expect(out.events.some((e) => e.type === 'task.start')).toBe(false);
      expect(await clusterState()).toEqual(before);
    });
  }
});
