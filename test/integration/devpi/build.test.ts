import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { KubeClient, kubeTransport, loadKubeConfig } from '../../../src/modules/k8s/index.ts';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { helix, keys } from './cli.ts';
import { NAMES } from '../../../playbooks/40_thinkube/core/devpi/names.ts';

/**
 * DevPi's image build for real on the sandbox, through the CLI: helix pushes the component's
 * image source to the git host, registers a read-only deploy key through the GitHub stand-in,
 * and submits the build Workflow; the Argo Workflows controller runs it on the real node (clone
 * with the deploy key, Kaniko FROM the sandbox registry's base, push), helix follows it and
 * waits for the tag in the registry, and the devpi pod runs that image.
 */
/** The branch inventory/local.yaml pushes the image source to (build.source_revision). */
const BRANCH = 'helix-devpi-image';

function kube(): KubeClient {
  const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { kubernetes: { kubeconfig: string; context: string } };
  return new KubeClient(kubeTransport(loadKubeConfig(inv.kubernetes)).transport);
}

describe('devpi: the image is built by Kaniko on Argo Workflows and runs', () => {
  it('the play builds the image from the pushed source, the devpi pod runs it, and a second play submits nothing', async () => {
    // A build is submitted only when the registry lacks the tag: start without the image and its Workflow.
    const clear = helix(['rollback', 'devpi', '--env', 'local', '--only', '89_rollback_devpi/image', '--only', '89_rollback_devpi/workflow']);
    expect(clear.code, clear.stdout.slice(-2000) + clear.stderr).toBe(0);
    const first = helix(['play', 'devpi', '--env', 'local', '--json']);
    expect(first.code, first.stdout.slice(-3000) + first.stderr).toBe(0);
    const followed = first.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/60_build_workflow/workflow/follow');
    expect(followed?.reason).toMatch(/^Workflow argo\/devpi-build-[0-9a-f]{10} Succeeded$/);
    const wfName = /argo\/(devpi-build-[0-9a-f]+)/.exec(followed!.reason)![1]!;
    const k = kube();
    // The controller ran it (helix never writes a Workflow's status): both steps as pods on the real node.
    const wf = await k.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: 'argo', name: wfName });
    const nodes = Object.values((wf!.status as { nodes: Record<string, { displayName: string; type: string; phase: string; hostNodeName?: string }> }).nodes);
    expect(
      nodes
        .filter((n) => n.type === 'Pod')
        .map((n) => [n.displayName, n.phase, n.hostNodeName])
        .sort(),
    ).toEqual([
      ['build-image', 'Succeeded', 'helix-node'],
      ['clone', 'Succeeded', 'helix-node'],
    ]);
    const image = first.events.find((e) => e.type === 'task.ok' && e.path === 'devpi/60_build_workflow/image')?.reason as string;
    expect(image).toMatch(/^registry\.sandbox\.test\/helix\/devpi:helix-devpi-image-[0-9a-f]{8} exists$/);
    const tag = image.replace(/ exists$/, '');
    const deploy = await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' });
    expect((deploy!.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!.image).toBe(tag);
    const pods = await k.list('v1', 'Pod', { namespace: 'devpi', labelSelector: 'app=devpi' });
    const running = pods.filter((p) => (p.status as { phase: string }).phase === 'Running');
    expect(running.map((p) => (p.status as { containerStatuses: { image: string; ready: boolean }[] }).containerStatuses[0])).toEqual([
      expect.objectContaining({ image: tag, ready: true }),
    ]);
    // The controller has taken the Workflow's spec over: a second play leaves it alone (no resubmit, no conflict).
    const again = helix(['play', 'devpi', '--env', 'local', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(keys(again)).toEqual([]);
  }, 1_800_000);

  it('the deploy key helix registered through the GitHub stand-in reads the source repository and cannot push to it', async () => {
    const inv = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as { vars: Record<string, string> };
    const secret = await kube().get({ apiVersion: 'v1', kind: 'Secret', namespace: 'argo', name: NAMES.deployKeySecret });
    const dir = mkdtempSync(join(tmpdir(), 'helix-deploy-key-'));
    try {
      const key = join(dir, 'key');
      writeFileSync(key, Buffer.from((secret!.data as Record<string, string>)['ssh-privatekey']!, 'base64'), { mode: 0o600 });
      const env = {
        ...process.env,
        GIT_SSH_COMMAND: `ssh -i ${key} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${inv.vars.git_known_hosts}`,
      };
      const url = `${inv.vars.git_remote_base}/thinkube-devpi.git`;
      const read = spawnSync('git', ['ls-remote', url, BRANCH], { env, encoding: 'utf8' });
      expect(read.status, read.stderr).toBe(0);
      expect(read.stdout).toMatch(new RegExp(`^[0-9a-f]{40}\trefs/heads/${BRANCH}$`, 'm'));
      const clone = spawnSync('git', ['clone', '--quiet', '--branch', BRANCH, url, join(dir, 'src')], { env, encoding: 'utf8' });
      expect(clone.status, clone.stderr).toBe(0);
      expect(readFileSync(join(dir, 'src', 'dockerfile', 'Dockerfile'), 'utf8')).toContain('FROM ${REGISTRY}/helix/python');
      const push = spawnSync('git', ['-C', join(dir, 'src'), 'push', 'origin', 'HEAD:refs/heads/helix-deploy-key-probe'], { env, encoding: 'utf8' });
      expect(push.status).not.toBe(0);
      expect(spawnSync('git', ['ls-remote', url], { env, encoding: 'utf8' }).stdout).not.toContain('helix-deploy-key-probe');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a build that fails is reported with the failed step and its exit code, and nothing is deployed', async () => {
    const k = kube();
    const deployBefore = await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' });
    // A revision the source repository does not have: the clone step fails in its pod.
    const bad = helix([
      'play',
      'devpi',
      '--env',
      'local',
      '--only',
      '60_build_workflow',
      '--set',
      'build.push_source=false',
      '--set',
      'build.source_revision=helix-no-such-revision',
      '--json',
    ]);
    const submitted = keys(bad).find((key) => key.startsWith('create k8s:argoproj.io/v1alpha1/Workflow/argo/'));
    try {
      expect(bad.code).toBe(1);
      expect(submitted).toBeDefined();
      const failed = bad.events.find((e) => e.type === 'task.failed');
      expect(failed?.path).toBe('devpi/60_build_workflow/workflow/follow');
      expect(failed?.error).toMatch(/Workflow argo\/devpi-build-[0-9a-f]+ Failed.*failed node "clone" \(template clone\): (main: )?Error \(exit code 128\)/);
      expect(bad.events.some((e) => e.path === 'devpi/60_build_workflow/image' && e.type !== 'task.start' && e.type !== 'task.skipped')).toBe(false);
      const deployAfter = await k.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'devpi', name: 'devpi' });
      expect(deployAfter?.metadata.resourceVersion).toBe(deployBefore?.metadata.resourceVersion);
    } finally {
      if (submitted) await k.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: 'argo', name: submitted.split('/').pop()! });
    }
  }, 900_000);
});
