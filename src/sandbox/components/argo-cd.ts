import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { ensureUpstreamCrds } from '../../crds/apply.ts';
import { ARGO_CD_BUILD, goBinary, goBuild, goBuildDir } from '../build.ts';
import { run } from '../proc.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { applyObjects, userRole } from '../kube-apply.ts';
import { step } from '../progress.ts';
import { PORTS, VERSIONS } from '../versions.ts';
import { adminKubeconfig, componentKubeconfig } from './kubernetes.ts';
import { requireRoot } from './net.ts';
import { redisPing } from './redis.ts';
import { knownHosts } from './ssh.ts';

/**
 * Argo CD on the sandbox (decision 056): the application controller and the repo server,
 * both from our one `argocd` binary (built from the Go module proxy, it picks the component
 * by the name it is called as), run on the host like Argo Workflows' controller, watching the
 * API server with their own client certificate; their cache is a Redis of their own (Debian's
 * redis-server on loopback). No API server, UI, Dex or ApplicationSet controller: nothing here
 * needs them. The repo server reaches the sandbox git host over SSH with the credentials in
 * the `argocd.argoproj.io/secret-type: repository` Secrets of namespace `argocd` (DevPi's play
 * writes one), checking the git host's key against the sandbox's known_hosts.
 *
 * Opt-in: `sandbox up` starts it when named (`--only argo-cd`) or with
 * `HELIX_SANDBOX_ARGOCD=1` (the integration lane's global setup sets it).
 */
const USER = 'helix-argo-cd';
export const ARGOCD_NAMESPACE = 'argocd';
export const ARGOCD_OPT_IN_ENV = 'HELIX_SANDBOX_ARGOCD';
const CONTROLLER_HEALTH = `http://127.0.0.1:${PORTS.argocdControllerMetrics}/healthz`;
const REPO_SERVER_HEALTH = `http://127.0.0.1:${PORTS.argocdRepoServerMetrics}/healthz?full=true`;
/**
 * How often the controller compares every Application with git (upstream: 120 s plus up to
 * 60 s of jitter, and the repo server keeps a branch's commit for 3 min). Short here, so a
 * play waiting for its pushed revision waits seconds, not minutes.
 */
const RESYNC_SECONDS = 15;

const dir = (ctx: Ctx) => join(ctx.dir, 'argo-cd');

function clusterObjects(serverKey: string): KubernetesObject[] {
  const partOf = { 'app.kubernetes.io/part-of': 'argocd' };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGOCD_NAMESPACE } },
    // The controller deploys whatever an Application names, anywhere: what upstream's
    // argocd-application-controller ClusterRole grants.
    ...userRole('helix-sandbox:argo-cd', USER, [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cm', namespace: ARGOCD_NAMESPACE, labels: partOf }, data: {} },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-rbac-cm', namespace: ARGOCD_NAMESPACE, labels: partOf }, data: {} },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', namespace: ARGOCD_NAMESPACE, labels: partOf },
      type: 'Opaque',
      stringData: { 'server.secretkey': serverKey },
    },
    // What argocd-server makes at its first start; without it no Application may sync.
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ARGOCD_NAMESPACE },
      spec: {
        sourceRepos: ['*'],
        destinations: [{ server: '*', namespace: '*' }],
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    },
  ] as KubernetesObject[];
}

/** A random key kept in the sandbox's secrets folder, so a restart applies the same Secret. */
function serverKey(ctx: Ctx): string {
  const file = join(ctx.dir, 'secrets', 'argocd-server-secretkey');
  if (!existsSync(file)) {
    mkdirSync(join(ctx.dir, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** `<dir>/bin/<name>` → the built `argocd`: upstream's images link each component name the same way. */
function componentBinary(ctx: Ctx, name: string): string {
  const bin = join(dir(ctx), 'bin');
  mkdirSync(bin, { recursive: true, mode: 0o755 });
  const link = join(bin, name);
  rmSync(link, { force: true });
  symlinkSync(join(goBuildDir(ARGO_CD_BUILD.name, ARGO_CD_BUILD.version), 'bin', 'argocd'), link);
  return link;
}

/**
 * Upstream's image puts `hack/git-verify-wrapper.sh` on the PATH, and the 3.6 repo server runs
 * it for every commit it reads (without it: "permission denied"). Copied from the module the
 * binary is built from into `<dir>/bin`.
 */
async function installVerifyWrapper(ctx: Ctx): Promise<void> {
  const mod = `github.com/argoproj/argo-cd/v3@v${VERSIONS.argoCd}`;
  const env = { ...process.env, GOTOOLCHAIN: ARGO_CD_BUILD.toolchain ?? 'local', GOFLAGS: '-mod=mod' };
  const { stdout } = await run(goBinary(), ['mod', 'download', '-json', mod], { cwd: goBuildDir(ARGO_CD_BUILD.name, ARGO_CD_BUILD.version), env });
  const target = join(dir(ctx), 'bin', 'git-verify-wrapper.sh');
  mkdirSync(join(dir(ctx), 'bin'), { recursive: true, mode: 0o755 });
  rmSync(target, { force: true });
  copyFileSync(join((JSON.parse(stdout) as { Dir: string }).Dir, 'hack', 'git-verify-wrapper.sh'), target);
  chmodSync(target, 0o755);
}

export const argoCd: Component = {
  name: 'argo-cd',
  description: `Argo CD v${VERSIONS.argoCd}: application controller and repo server (with their Redis), Applications in namespace ${ARGOCD_NAMESPACE}`,
  deps: ['kube-apiserver', 'git'],
  optIn: ARGOCD_OPT_IN_ENV,
  prepare: async (ctx) => {
    await step(ctx.report, 'argo-cd', `build argocd v${VERSIONS.argoCd} (cached; ~25 min cold)`, () => goBuild(ARGO_CD_BUILD));
  },
  start: async (ctx) => {
    requireRoot('argo-cd');
    const kubeconfig = await componentKubeconfig(ctx, 'argo-cd', USER);
    await step(ctx.report, 'argo-cd', 'install the CRDs, RBAC, settings and the default project', async () => {
      await ensureUpstreamCrds(adminKubeconfig(ctx), ['argo-cd']);
      await applyObjects(adminKubeconfig(ctx), clusterObjects(serverKey(ctx)));
    });
    const data = dir(ctx);
    for (const d of ['ssh', 'tls', 'gpg', 'gnupg', 'tmp']) mkdirSync(join(data, d), { recursive: true, mode: 0o700 });
    // The repo server checks host keys against this file (upstream mounts argocd-ssh-known-hosts-cm there).
    writeFileSync(join(data, 'ssh', 'ssh_known_hosts'), readFileSync(knownHosts(ctx), 'utf8'), { mode: 0o644 });
    const redisAddr = `127.0.0.1:${PORTS.argocdRedis}`;
    await ensureProcess(ctx, {
      component: 'argo-cd',
      proc: 'redis',
      cmd: '/usr/bin/redis-server',
      args: ['--bind', '127.0.0.1', '--port', String(PORTS.argocdRedis), '--save', '', '--appendonly', 'no', '--dir', data, '--protected-mode', 'yes'],
      marker: String(PORTS.argocdRedis),
      ports: [PORTS.argocdRedis],
      healthy: () => redisPing(PORTS.argocdRedis),
      timeoutMs: 30_000,
    });
    await installVerifyWrapper(ctx);
    const env: NodeJS.ProcessEnv = {
      PATH: `${join(data, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: data,
      TMPDIR: join(data, 'tmp'),
      ARGOCD_SSH_DATA_PATH: join(data, 'ssh'),
      ARGOCD_TLS_DATA_PATH: join(data, 'tls'),
      ARGOCD_GPG_DATA_PATH: join(data, 'gpg'),
      ARGOCD_GNUPGHOME: join(data, 'gnupg'),
      ARGOCD_GPG_ENABLED: 'false',
    };
    await ensureProcess(ctx, {
      component: 'argo-cd',
      proc: 'repo-server',
      cmd: componentBinary(ctx, 'argocd-repo-server'),
      args: [
        `--port=${PORTS.argocdRepoServer}`,
        '--address=127.0.0.1',
        `--metrics-port=${PORTS.argocdRepoServerMetrics}`,
        '--metrics-address=127.0.0.1',
        '--disable-tls',
        // Its default names a client CA file for mTLS, and 3.6 refuses any with --disable-tls.
        '--client-ca-path=',
        `--redis=${redisAddr}`,
        `--revision-cache-expiration=${RESYNC_SECONDS}s`,
        '--logformat=text',
      ],
      env,
      marker: `--port=${PORTS.argocdRepoServer}`,
      ports: [PORTS.argocdRepoServer, PORTS.argocdRepoServerMetrics],
      healthy: () => httpOk(REPO_SERVER_HEALTH),
      timeoutMs: 120_000,
    });
    await ensureProcess(ctx, {
      component: 'argo-cd',
      proc: 'application-controller',
      cmd: componentBinary(ctx, 'argocd-application-controller'),
      args: [
        `--kubeconfig=${kubeconfig}`,
        `--namespace=${ARGOCD_NAMESPACE}`,
        `--repo-server=127.0.0.1:${PORTS.argocdRepoServer}`,
        '--repo-server-plaintext',
        `--redis=${redisAddr}`,
        `--metrics-port=${PORTS.argocdControllerMetrics}`,
        `--app-resync=${RESYNC_SECONDS}`,
        '--app-resync-jitter=0',
        '--status-processors=4',
        '--operation-processors=2',
        '--logformat=text',
      ],
      // The destination `https://kubernetes.default.svc` is "this cluster": off a pod, upstream's
      // own development mode takes it from KUBECONFIG instead of the service account.
      env: { ...env, ARGOCD_FAKE_IN_CLUSTER: 'true', KUBECONFIG: kubeconfig },
      marker: `--metrics-port=${PORTS.argocdControllerMetrics}`,
      ports: [PORTS.argocdControllerMetrics],
      healthy: () => httpOk(CONTROLLER_HEALTH),
      timeoutMs: 120_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'argo-cd', ['redis', 'repo-server', 'application-controller']);
    if (!p.ok) return p;
    const [controller, repo] = await Promise.all([httpOk(CONTROLLER_HEALTH), httpOk(REPO_SERVER_HEALTH)]);
    return {
      ok: controller && repo,
      detail: `${p.detail}; controller /healthz ${controller ? 'ok' : 'fails'}, repo server /healthz ${repo ? 'ok' : 'fails'}`,
    };
  },
  cleanup: async (ctx) => {
    rmSync(dir(ctx), { recursive: true, force: true });
  },
};
