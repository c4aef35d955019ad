import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, EventBus, run, type RunEvent } from '../../../src/index.ts';
import { ensureUpstreamCrds } from '../../../src/crds/index.ts';
import { KubeClient, kubeTransport, loadKubeConfig } from '../../../src/modules/k8s/index.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { type FakeGithub, startFakeGithub } from '../../support/fake-github.ts';

/**
 * The build chain as far as the sandbox allows. The upstream Argo Workflows CRDs come from the
 * Go module cache; the rendered build Workflow must pass the real CRD schema (strict field
 * validation). No Workflow controller runs here, so this test plays the controller: it sets
 * `status` on the Workflow (the Workflow CRD has no status subresource, so through the object
 * itself, as the controller does) and checks that helix follows the phase and names the failed
 * node. The deploy key role runs against the local GitHub stand-in.
 */
const root = fileURLToPath(new URL('../../fixtures/devpi/buildproject', import.meta.url));
const envName = `gen${process.pid}`;
const argoNs = 'helix-devpi-build-test';

let github: FakeGithub;
let kube: KubeClient;
let transport: ReturnType<typeof kubeTransport>['transport'];

async function play(only: string[], selection: 'play' | 'rollback' = 'play', onEvent?: (e: RunEvent) => void) {
  const bus = new EventBus();
  const events = collect(bus);
  if (onEvent) bus.on(onEvent);
  const result = await run({ root, component: 'devpibuild', env: envName, selection, mode: 'apply', bus, only });
  return { result, events };
}

async function workflowName(): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const list = await kube.list('argoproj.io/v1alpha1', 'Workflow', { namespace: argoNs });
    if (list[0]) return list[0].metadata.name;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('no Workflow was submitted');
}

async function setStatus(name: string, status: Record<string, unknown>): Promise<void> {
  const res = await transport({
    method: 'PATCH',
    path: `/apis/argoproj.io/v1alpha1/namespaces/${argoNs}/workflows/${name}`,
    contentType: 'application/merge-patch+json',
    body: { status },
  });
  expect(res.status).toBe(200);
}

describe('devpi build chain on the sandbox', () => {
  beforeAll(async () => {
    const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { kubernetes: { kubeconfig: string; context: string } };
    await ensureUpstreamCrds(inv.kubernetes.kubeconfig, ['argo-workflows'], { context: inv.kubernetes.context });
    const kc = loadKubeConfig(inv.kubernetes);
    ({ transport } = kubeTransport(kc));
    kube = new KubeClient(transport);
    github = await startFakeGithub({ tokens: ['gh-test-token-value'] });
    github.addRepo('thinkube/thinkube-devpi', { private: true });
    process.env.DEVPI_TEST_GITHUB_TOKEN = 'gh-test-token-value';
    process.env.DEVPI_TEST_ROBOT_TOKEN = 'robot-test-token-value';
    const local = readFileSync(join(root, 'inventory', 'local.yaml'), 'utf8');
    writeFileSync(join(root, 'inventory', `${envName}.yaml`), local.replace('http://127.0.0.1:18089', github.url));
    for (const w of await kube.list('argoproj.io/v1alpha1', 'Workflow', { namespace: argoNs })) {
      await kube.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: argoNs, name: w.metadata.name });
    }
  }, 600_000);

  afterAll(async () => {
    rmSync(join(root, 'inventory', `${envName}.yaml`), { force: true });
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: argoNs }, { propagation: 'Background' });
    await github?.close();
  });

  it('a failed Workflow is reported with the failing node', async () => {
    let patched = false;
    const running = play(['10_build'], 'play', (e) => {
      if (e.type === 'task.start' && e.path.endsWith('/workflow/follow') && !patched) {
        patched = true;
        void (async () => {
          const name = await workflowName();
          await setStatus(name, { phase: 'Running' });
          await new Promise((r) => setTimeout(r, 700));
          await setStatus(name, {
            phase: 'Failed',
            message: 'child failed',
            nodes: {
              [name]: { id: name, name, displayName: name, type: 'DAG', phase: 'Failed' },
              [`${name}-1`]: { id: `${name}-1`, name: `${name}.build-image`, displayName: 'build-image', type: 'Pod', templateName: 'kaniko', phase: 'Failed', message: 'Error (exit code 1): UNAUTHORIZED' },
            },
          });
        })();
      }
    });
    const { result, events } = await running;
    expect(result.ok).toBe(false);
    // Accepted by the real CRD schema (strict field validation): the submit task changed it.
    expect(events.some((e) => e.type === 'task.changed' && e.path === 'devpibuild/10_build/workflow/submit')).toBe(true);
    const failed = events.find((e) => e.type === 'task.failed' && e.path === 'devpibuild/10_build/workflow/follow');
    expect(failed?.type === 'task.failed' && failed.error).toMatch(/Failed.*failed node "build-image" \(template kaniko\): Error \(exit code 1\): UNAUTHORIZED/);
  });

  it('a Succeeded Workflow is followed to the end, and not submitted again', async () => {
    const name = await workflowName();
    await setStatus(name, { phase: 'Succeeded', nodes: {} });
    const first = await play(['10_build']);
    expect(first.result.ok).toBe(true);
    expect(first.events.some((e) => e.type === 'task.ok' && e.path.endsWith('/workflow/follow') && /Succeeded/.test(e.reason))).toBe(true);
    expect(first.result.changes).toEqual([]);
  });

  it('the deploy key is generated once, registered read-only, kept, and removed on rollback', async () => {
    const first = await play(['20_keys']);
    expect(first.result.ok, JSON.stringify(first.events.filter((e) => e.type === 'task.failed'))).toBe(true);
    const keys = github.repos.get('thinkube/thinkube-devpi')!.keys;
    expect(keys).toHaveLength(1);
    expect(keys[0]!.read_only).toBe(true);
    const again = await play(['20_keys']);
    expect(again.result.changes).toEqual([]);
    const removed = await play([], 'rollback');
    expect(removed.result.changes.map((c) => `${c.change.action} ${c.change.target}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^delete github:.*thinkube\/thinkube-devpi\/keys\//), expect.stringMatching(/^delete k8s:v1\/Secret\/helix-devpi-build-test\//)]),
    );
    expect(github.repos.get('thinkube/thinkube-devpi')!.keys).toHaveLength(0);
    expect(JSON.stringify([...first.events, ...again.events, ...removed.events])).not.toContain('gh-test-token-value');
  });
});
