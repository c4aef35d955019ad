import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithCa } from '../../../src/modules/http/index.ts';
import { type KubeObject, KubeClient, kubeTransport, loadKubeConfig } from '../../../src/modules/k8s/index.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { imageSource } from '../../../playbooks/40_thinkube/core/devpi/build.ts';
import { NAMES } from '../../../playbooks/40_thinkube/core/devpi/names.ts';
import { helix, keys } from './cli.ts';

/**
 * Automatic rebuilds on the sandbox: with `build.rebuild_schedule`, a commit pushed to the
 * source branch becomes a new image (Kaniko on Argo Workflows, started by the CronWorkflow the
 * play applied) and a rollout of the devpi Deployment, without running helix; a play afterwards
 * reports 0 changed. The branch is one this test pushes to as a developer would (not one helix
 * owns), in the sandbox's `thinkube-devpi.git`.
 */
const BRANCH = 'helix-rebuild-test';
/** Its own deployment branch too: the rebuild records each new image there. */
const REBUILD = [
  '--set',
  'build.push_source=false',
  '--set',
  `build.source_revision=${BRANCH}`,
  '--set',
  'build.rebuild_schedule="* * * * *"',
  '--set',
  `deploy.branch=${BRANCH}-deploy`,
];

const inv = () =>
  parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, string>; kubernetes: { kubeconfig: string; context: string } };

function kube(): KubeClient {
  return new KubeClient(kubeTransport(loadKubeConfig(inv().kubernetes)).transport);
}

const containerImages = (d: KubeObject | undefined): string[] => {
  if (!d) return [];
  const spec = (d.spec as { template: { spec: { initContainers: { image: string }[]; containers: { image: string }[] } } }).template.spec;
  return [...spec.initContainers, ...spec.containers].map((c) => c.image);
};

const ACCEPT = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

/** The registry's answer for a tag of helix/devpi (200 when it holds it). */
async function manifestStatus(tag: string): Promise<number> {
  const f = fetchWithCa([inv().vars.registry_ca_file!]);
  const res = await f(`https://registry.sandbox.test/v2/helix/devpi/manifests/${tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  return res.status;
}

/** Deletes an image from the sandbox registry by its digest (the registry API, the sandbox CA). */
async function deleteImage(image: string): Promise<void> {
  const [, host, repo, tag] = /^([^/]+)\/(.+):([^:]+)$/.exec(image)!;
  const f = fetchWithCa([inv().vars.registry_ca_file!]);
  const head = await f(`https://${host}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  const digest = head.headers.get('docker-content-digest');
  if (head.status === 200 && digest) await f(`https://${host}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
}

describe('devpi: automatic rebuilds on a new commit', () => {
  let work: string;
  let git: (...args: string[]) => string;
  /** The images of both trees: the rollback deletes every tree's image, not only the current one. */
  const images: string[] = [];
  const treeTag = () => git('rev-parse', 'HEAD^{tree}').slice(0, 12);

  beforeAll(() => {
    const vars = inv().vars;
    work = mkdtempSync(join(tmpdir(), 'helix-rebuild-'));
    const env = {
      ...process.env,
      GIT_SSH_COMMAND: `ssh -i ${vars.git_ssh_key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${vars.git_known_hosts}`,
    };
    git = (...args) =>
      execFileSync('git', ['-C', work, '-c', 'user.name=Developer', '-c', 'user.email=dev@sandbox.test', ...args], { env, encoding: 'utf8' }).trim();
    git('init', '--quiet', `--initial-branch=${BRANCH}`);
    for (const [path, text] of Object.entries(imageSource())) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), text);
    }
    git('add', '.');
    git('commit', '--quiet', '-m', 'devpi image source');
    git('remote', 'add', 'origin', `${vars.git_remote_base}/thinkube-devpi.git`);
    git('push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${BRANCH}`);
    // A run that stopped half-way may have left this tree's Workflow or image: start without them.
    const clear = helix(['rollback', 'devpi', '--env', 'local', ...REBUILD, '--only', '89_rollback_devpi/workflow', '--only', '89_rollback_devpi/image']);
    expect(clear.code, clear.stdout.slice(-2000) + clear.stderr).toBe(0);
  }, 300_000);

  afterAll(async () => {
    // What this test made: the CronWorkflow and its Role, the first build's Workflow (left, a
    // Workflow that Succeeded would stand for an image no longer there), the images of both trees, the branch;
    // then the sandbox's own build again (its image is in the registry: nothing is rebuilt).
    const cleanup = helix([
      'rollback',
      'devpi',
      '--env',
      'local',
      ...REBUILD,
      '--only',
      '89_rollback_devpi/rebuild',
      '--only',
      '89_rollback_devpi/workflow',
      '--only',
      '89_rollback_devpi/image',
      '--only',
      '89_rollback_devpi/deployment-branch',
      '--json',
    ]);
    const left = [];
    for (const image of images) if ((await manifestStatus(image.slice(image.lastIndexOf(':') + 1))) !== 404) left.push(image);
    for (const image of left) await deleteImage(image);
    git('push', '--quiet', 'origin', `:refs/heads/${BRANCH}`);
    rmSync(work, { recursive: true, force: true });
    const back = helix(['play', 'devpi', '--env', 'local']);
    expect(cleanup.code, cleanup.stderr).toBe(0);
    expect(left, 'images the rollback left').toEqual([]);
    for (const image of images) expect(keys(cleanup)).toContain(`delete image:${image}`);
    expect(back.code, back.stdout.slice(-3000) + back.stderr).toBe(0);
  }, 1_800_000);

  it('a pushed commit is built and rolled out by the CronWorkflow, and a play afterwards changes nothing', async () => {
    const k = kube();
    const first = helix(['play', 'devpi', '--env', 'local', ...REBUILD, '--json']);
    expect(first.code, first.stdout.slice(-3000) + first.stderr).toBe(0);
    expect(keys(first)).toContain(`create k8s:argoproj.io/v1alpha1/CronWorkflow/argo/${NAMES.rebuild}`);
    const image1 = `registry.sandbox.test/helix/devpi:${BRANCH}-${treeTag()}-`;
    const running1 = containerImages(await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' }));
    expect(
      running1.every((i) => i.startsWith(image1)),
      running1.join(', '),
    ).toBe(true);
    images.push(running1[0]!);

    // A developer's commit that changes what the image is made of.
    const dockerfile = join(work, 'dockerfile', 'Dockerfile');
    writeFileSync(dockerfile, `${readFileSync(dockerfile, 'utf8')}LABEL dev.helix.rebuild-test="${Date.now()}"\n`);
    git('commit', '--quiet', '-am', 'label the image');
    git('push', '--quiet', 'origin', `HEAD:refs/heads/${BRANCH}`);
    const image2 = `registry.sandbox.test/helix/devpi:${BRANCH}-${treeTag()}-`;
    expect(image2).not.toBe(image1);

    // Without helix: the next scheduled run builds the new tree and rolls the Deployment onto it.
    const deadline = Date.now() + 12 * 60_000;
    let seen: string[] = [];
    for (;;) {
      const d = await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' });
      seen = containerImages(d);
      const st = d?.status as { updatedReplicas?: number; availableReplicas?: number; replicas?: number; observedGeneration?: number } | undefined;
      // devpi is recreated (one volume): mid-rollout the status counts no pods at all, so count them.
      const want = (d?.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      const done =
        seen.every((i) => i.startsWith(image2)) &&
        st?.observedGeneration === d?.metadata.generation &&
        st?.replicas === want &&
        st?.updatedReplicas === want &&
        st?.availableReplicas === want;
      if (done) break;
      expect(Date.now() < deadline, `the Deployment still runs ${seen.join(', ')} (waiting for ${image2}…)`).toBe(true);
      await new Promise((r) => setTimeout(r, 10_000));
    }
    // Nothing but the CronWorkflow could have done it: helix did not run since the push, the
    // registry now holds the new tree's tag (pushed by the Kaniko step), and the Deployment's
    // image field is owned by the rebuild workflow's field manager.
    images.push(seen[0]!);
    const tag = seen[0]!.slice(seen[0]!.lastIndexOf(':') + 1);
    expect(await manifestStatus(tag)).toBe(200);
    const d = await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' });
    const managers = (d?.metadata.managedFields ?? []) as { manager?: string; fieldsV1?: unknown }[];
    const rebuild = managers.find((m) => m.manager === NAMES.rebuild);
    expect(rebuild, JSON.stringify(managers.map((m) => m.manager))).toBeDefined();
    expect(JSON.stringify(rebuild!.fieldsV1)).toContain('f:image');
    const pods = await k.list('v1', 'Pod', { namespace: 'devpi', labelSelector: 'app=devpi' });
    const running = pods.filter((p) => (p.status as { phase: string }).phase === 'Running' && !p.metadata.deletionTimestamp);
    expect(running.map((p) => (p.status as { containerStatuses: { image: string; ready: boolean }[] }).containerStatuses[0]!.image.startsWith(image2))).toEqual(
      [true],
    );

    // helix reads the same tree, so it finds the image built and the Deployment on it.
    const after = helix(['play', 'devpi', '--env', 'local', ...REBUILD, '--json']);
    expect(after.code, after.stdout.slice(-3000) + after.stderr).toBe(0);
    expect(keys(after)).toEqual([]);
  }, 1_800_000);
});
