import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, EventBus, run } from '../../../src/index.ts';
import { KubeClient, kubeTransport, loadKubeConfig } from '../../../src/modules/k8s/index.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { type GithubApi, startGithubApi } from '../../../src/sandbox/github-api.ts';

/**
 * The deploy key role against an in-process GitHub stand-in (a fixture component with the
 * devpi variables; its Secret lives in a namespace of its own). The build itself runs for real
 * in `build.test.ts` (Argo Workflows + Kaniko on the sandbox).
 */
const root = fileURLToPath(new URL('../../fixtures/devpi/buildproject', import.meta.url));
const envName = `gen${process.pid}`;
const argoNs = 'helix-devpi-build-test';

let github: GithubApi;
let kube: KubeClient;

async function play(only: string[], selection: 'play' | 'rollback' = 'play') {
  const bus = new EventBus();
  const events = collect(bus);
  const result = await run({ root, component: 'devpibuild', env: envName, selection, mode: 'apply', bus, only });
  return { result, events };
}

describe('devpi deploy key', () => {
  beforeAll(async () => {
    const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { kubernetes: { kubeconfig: string; context: string } };
    kube = new KubeClient(kubeTransport(loadKubeConfig(inv.kubernetes)).transport);
    github = await startGithubApi({ tokens: ['gh-test-token-value'] });
    github.addRepo('thinkube/thinkube-devpi', { private: true });
    process.env.DEVPI_TEST_GITHUB_TOKEN = 'gh-test-token-value';
    process.env.DEVPI_TEST_ROBOT_TOKEN = 'robot-test-token-value';
    const local = readFileSync(join(root, 'inventory', 'local.yaml'), 'utf8');
    writeFileSync(join(root, 'inventory', `${envName}.yaml`), local.replace('http://127.0.0.1:18089', github.url));
  }, 600_000);

  afterAll(async () => {
    rmSync(join(root, 'inventory', `${envName}.yaml`), { force: true });
    await kube?.delete({ apiVersion: 'v1', kind: 'Namespace', name: argoNs }, { propagation: 'Background' });
    await github?.close();
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
      expect.arrayContaining([
        expect.stringMatching(/^delete github:.*thinkube\/thinkube-devpi\/keys\//),
        expect.stringMatching(/^delete k8s:v1\/Secret\/helix-devpi-build-test\//),
      ]),
    );
    expect(github.repos.get('thinkube/thinkube-devpi')!.keys).toHaveLength(0);
    expect(JSON.stringify([...first.events, ...again.events, ...removed.events])).not.toContain('gh-test-token-value');
  });
});
