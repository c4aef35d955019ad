import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TargetError } from '../runtime/errors.ts';
import { cacheDir } from '../runtime/paths.ts';
import { VERSIONS } from './versions.ts';
import { run } from './proc.ts';

/**
 * Builds of the Go components from the Go module proxy, cached under
 * `cacheDir()/go/<name>/v<version>/` (binaries in `bin/`, the wrapper module in `mod/`).
 * Modules whose own go.mod carries replace directives (etcd's server, Kubernetes) cannot be
 * `go install`ed, so every build goes through a small wrapper module that requires them.
 */
export interface GoBuild {
  name: string;
  version: string;
  /** `module@version` arguments for `go get`. */
  require: string[];
  packages: string[];
  binaries: string[];
  ldflags?: string[];
  tags?: string[];
  /**
   * A Go newer than the machine's that the module's go.mod asks for (`go1.27.3`): the go
   * command fetches that toolchain from the Go module proxy once. Default: the machine's Go.
   */
  toolchain?: string;
  /**
   * Files upstream keeps as symbolic links, which a module zip leaves out. The module (one of
   * `require`) is copied next to the wrapper with each link written as a copy of its target,
   * and the wrapper replaces the module with that copy (`go build -overlay` refuses files in
   * the module cache).
   */
  symlinks?: GoSymlink[];
  /** Edits the wrapper go.mod before `go get` (Kubernetes: replaces for the staging modules). */
  prepare?: (modDir: string, env: NodeJS.ProcessEnv) => Promise<void>;
  /** Copies extra files out of the module cache into the output folder. */
  finish?: (modDir: string, outDir: string, env: NodeJS.ProcessEnv) => Promise<void>;
}

/** A symbolic link in a module: `link` and `target` relative to the module's root folder. */
export interface GoSymlink {
  module: string;
  link: string;
  target: string;
}

export function goBuildDir(name: string, version: string): string {
  return join(cacheDir(), 'go', name, `v${version}`);
}

function goEnv(b: GoBuild): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: b.toolchain ?? 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
}

export function goBinary(): string {
  for (const p of (process.env.PATH ?? '').split(':')) if (p && existsSync(join(p, 'go'))) return join(p, 'go');
  if (existsSync('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  throw new TargetError('sandbox', 'the Go toolchain (go) is not installed; it is needed to build etcd, Kubernetes, kwok and oauth2-proxy');
}

/** True when the build's binaries are in the cache. */
export function goBuilt(b: GoBuild): boolean {
  const dir = goBuildDir(b.name, b.version);
  return existsSync(join(dir, 'bin', '.complete')) && b.binaries.every((x) => existsSync(join(dir, 'bin', x)));
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Builds (once) and returns the folder holding the binaries. Builds run one at a time: each
 * already uses every core, and two at once on a small machine only thrash.
 */
export async function goBuild(b: GoBuild): Promise<string> {
  const dir = goBuildDir(b.name, b.version);
  const out = join(dir, 'bin');
  if (goBuilt(b)) return out;
  const job = queue.then(() => doBuild(b, dir, out));
  queue = job.catch(() => {});
  return job;
}

async function doBuild(b: GoBuild, dir: string, out: string): Promise<string> {
  if (goBuilt(b)) return out;
  const go = goBinary();
  const env = goEnv(b);
  const mod = join(dir, 'mod');
  mkdirSync(mod, { recursive: true });
  if (!existsSync(join(mod, 'go.mod'))) await run(go, ['mod', 'init', `local/helix-sandbox-${b.name}`], { cwd: mod, env });
  if (b.prepare) await b.prepare(mod, env);
  if (b.symlinks?.length) await restoreSymlinks(b, dir, mod, env);
  await run(go, ['get', ...b.require], { cwd: mod, env, timeoutMs: 60 * 60_000 });
  const tmp = join(dir, 'bin.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const args = ['build', '-trimpath', '-ldflags', ['-s', '-w', ...(b.ldflags ?? [])].join(' ')];
  if (b.tags?.length) args.push('-tags', b.tags.join(','));
  // One package: name the binary explicitly (Go would name `…/server/v3` "server").
  args.push('-o', b.packages.length === 1 ? join(tmp, b.binaries[0]!) : `${tmp}/`, ...b.packages);
  await run(go, args, { cwd: mod, env, timeoutMs: 90 * 60_000 });
  if (b.finish) await b.finish(mod, tmp, env);
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return out;
}

/** Replaces each module with symlinks by a copy under `<dir>/src/` that has them as files. */
async function restoreSymlinks(b: GoBuild, dir: string, mod: string, env: NodeJS.ProcessEnv): Promise<void> {
  const go = goBinary();
  for (const module of new Set(b.symlinks!.map((l) => l.module))) {
    const req = b.require.find((r) => r.startsWith(`${module}@`));
    if (!req) throw new TargetError('sandbox', `${b.name}: symlinks name ${module}, which the build does not require`);
    const { stdout } = await run(go, ['mod', 'download', '-json', req], { cwd: mod, env, timeoutMs: 30 * 60_000 });
    const dest = join(dir, 'src', req.replaceAll('/', '_'));
    copyWithLinks(
      (JSON.parse(stdout) as { Dir: string }).Dir,
      dest,
      b.symlinks!.filter((l) => l.module === module),
    );
    await run(go, ['mod', 'edit', `-replace=${module}=${dest}`], { cwd: mod, env });
  }
}

/**
 * Copies a module folder to `dest` (replacing what was there), writable, with each link
 * written as a copy of its target.
 */
export function copyWithLinks(src: string, dest: string, links: readonly Pick<GoSymlink, 'link' | 'target'>[]): void {
  rmSync(dest, { recursive: true, force: true });
  cpSync(src, dest, { recursive: true });
  const writable = (p: string): void => {
    const st = statSync(p);
    chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
    if (st.isDirectory()) for (const e of readdirSync(p)) writable(join(p, e));
  };
  writable(dest);
  for (const l of links) copyFileSync(join(dest, l.target), join(dest, l.link));
}

/** The folder of a module in the module cache, as resolved by the wrapper module. */
async function moduleDir(modDir: string, module: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await run(goBinary(), ['list', '-m', '-json', module], { cwd: modDir, env });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

export const ETCD_BUILD: GoBuild = {
  name: 'etcd',
  version: VERSIONS.etcd,
  require: [`go.etcd.io/etcd/server/v3@v${VERSIONS.etcd}`],
  packages: ['go.etcd.io/etcd/server/v3'],
  binaries: ['etcd'],
};

export const KWOK_BUILD: GoBuild = {
  name: 'kwok',
  version: VERSIONS.kwok,
  require: [`sigs.k8s.io/kwok@v${VERSIONS.kwok}`],
  packages: ['sigs.k8s.io/kwok/cmd/kwok'],
  binaries: ['kwok', 'stages/node-initialize.yaml'],
  // The kwok binary ships no stages (only kwokctl embeds them): keep the default ones from
  // the module so the sandbox can write its kwok.yaml without Go at run time.
  finish: async (mod, out, env) => {
    const src = join(await moduleDir(mod, 'sigs.k8s.io/kwok', env), 'kustomize', 'stage');
    mkdirSync(join(out, 'stages'), { recursive: true });
    for (const f of KWOK_STAGE_FILES) copyFileSync(join(src, f), join(out, 'stages', f.split('/').pop()!));
  },
};

/** The stages kwokctl uses by default: fast node init, heartbeat with lease, fast pod lifecycle. */
export const KWOK_STAGE_FILES = [
  'node/fast/node-initialize.yaml',
  'node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'pod/fast/pod-ready.yaml',
  'pod/fast/pod-complete.yaml',
  'pod/fast/pod-delete.yaml',
] as const;

export const OAUTH2_PROXY_BUILD: GoBuild = {
  name: 'oauth2-proxy',
  version: VERSIONS.oauth2Proxy,
  require: [`github.com/oauth2-proxy/oauth2-proxy/v7@v${VERSIONS.oauth2Proxy}`],
  packages: ['github.com/oauth2-proxy/oauth2-proxy/v7'],
  binaries: ['oauth2-proxy'],
  ldflags: [`-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=v${VERSIONS.oauth2Proxy}`],
};

const KV = VERSIONS.kubernetes;
const [, MINOR] = KV.split('.');
const versionFlags = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((p) => [
  `-X ${p}.gitVersion=v${KV}`,
  `-X ${p}.gitMajor=1`,
  `-X ${p}.gitMinor=${MINOR}`,
  `-X ${p}.gitTreeState=clean`,
]);

/**
 * kube-apiserver, kube-controller-manager and kube-scheduler. k8s.io/kubernetes requires its
 * staging modules at v0.0.0 and replaces them with local folders; the wrapper replaces each
 * with its published v0.<minor>.<patch> tag instead, derived from the chosen version's go.mod.
 */
export const KUBERNETES_BUILD: GoBuild = {
  name: 'kubernetes',
  version: KV,
  require: [`k8s.io/kubernetes@v${KV}`],
  packages: ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-scheduler'],
  binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
  ldflags: versionFlags,
  tags: ['selinux', 'notest'],
  prepare: async (mod, env) => {
    const go = goBinary();
    const { stdout } = await run(go, ['mod', 'download', '-json', `k8s.io/kubernetes@v${KV}`], { cwd: mod, env, timeoutMs: 30 * 60_000 });
    const gomod = readFileSync((JSON.parse(stdout) as { GoMod: string }).GoMod, 'utf8');
    const edits = kubernetesWrapperEdits(gomod, KV);
    await run(go, ['mod', 'edit', ...edits], { cwd: mod, env });
  },
};

/**
 * The `go mod edit` flags that turn a wrapper module into one that builds Kubernetes `kv`:
 * the same go and godebug lines, and every staging module (required at v0.0.0) replaced by
 * its published tag.
 */
export function kubernetesWrapperEdits(gomod: string, kv: string): string[] {
  const staging = `v0.${kv.split('.').slice(1).join('.')}`;
  const edits: string[] = [];
  const goLine = /^go (\S+)/m.exec(gomod);
  if (goLine) edits.push(`-go=${goLine[1]}`);
  const godebug = /^godebug (\S+)/m.exec(gomod);
  if (godebug && godebug[1] !== '(') edits.push(`-godebug=${godebug[1]}`);
  const block = /^godebug \(\n([\s\S]*?)\n\)/m.exec(gomod);
  if (block) for (const l of block[1]!.split('\n')) if (l.trim()) edits.push(`-godebug=${l.trim()}`);
  const seen = new Set<string>();
  for (const m of gomod.matchAll(/^(?:require\s+|\s+)(k8s\.io\/[\w.\-/]+) v0\.0\.0(?=\s|$)/gm)) {
    if (seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    edits.push(`-replace=${m[1]}=${m[1]}@${staging}`);
  }
  return edits;
}

/**
 * The node's binaries, kubelet and kube-proxy, from the same Kubernetes version and the same
 * kind of wrapper module as the control plane (a separate build so adding them does not
 * rebuild the control plane; the module and build caches are shared).
 */
export const KUBERNETES_NODE_BUILD: GoBuild = {
  ...KUBERNETES_BUILD,
  name: 'kubernetes-node',
  packages: ['k8s.io/kubernetes/cmd/kubelet', 'k8s.io/kubernetes/cmd/kube-proxy'],
  binaries: ['kubelet', 'kube-proxy'],
};

/**
 * kubectl, from the same Kubernetes version and the same kind of wrapper module: the bench's
 * `kubectl apply --server-side` peer, at the server's own version (not part of `sandbox up`).
 */
export const KUBECTL_BUILD: GoBuild = {
  ...KUBERNETES_BUILD,
  name: 'kubectl',
  packages: ['k8s.io/kubernetes/cmd/kubectl'],
  binaries: ['kubectl'],
};

export const COREDNS_BUILD: GoBuild = {
  name: 'coredns',
  version: VERSIONS.coredns,
  require: [`github.com/coredns/coredns@v${VERSIONS.coredns}`],
  packages: ['github.com/coredns/coredns'],
  binaries: ['coredns'],
};

/**
 * Traefik v3. Its go.mod replaces two forks and points `dynamic/ext` at a folder of its own
 * module; a wrapper module ignores a dependency's replaces, so the same ones are written into
 * the wrapper (a folder target as the module-cache path of that folder). Its CRDs and the
 * Gateway API's come from `src/crds` like every other component's.
 */
export const TRAEFIK_BUILD: GoBuild = {
  name: 'traefik',
  version: VERSIONS.traefik,
  require: [`github.com/traefik/traefik/v3@v${VERSIONS.traefik}`],
  packages: ['github.com/traefik/traefik/v3/cmd/traefik'],
  binaries: ['traefik'],
  ldflags: [`-X github.com/traefik/traefik/v3/pkg/version.Version=${VERSIONS.traefik}`],
  prepare: copyReplaces(`github.com/traefik/traefik/v3@v${VERSIONS.traefik}`),
};

/**
 * A `prepare` step that writes the replace directives of `moduleAtVersion`'s own go.mod into
 * the wrapper module (a wrapper ignores a dependency's replaces, so without them the build
 * resolves different modules than upstream's).
 */
export function copyReplaces(moduleAtVersion: string): NonNullable<GoBuild['prepare']> {
  return async (mod, env) => {
    const go = goBinary();
    const { stdout } = await run(go, ['mod', 'download', '-json', moduleAtVersion], { cwd: mod, env, timeoutMs: 30 * 60_000 });
    const info = JSON.parse(stdout) as { GoMod: string; Dir: string };
    const edits = replaceEdits(readFileSync(info.GoMod, 'utf8'), info.Dir, existsSync);
    if (edits.length) await run(go, ['mod', 'edit', ...edits], { cwd: mod, env });
  };
}

/**
 * `go mod edit -replace` flags copying a dependency's own replace directives into a wrapper
 * module: versioned targets as they are, folder targets resolved inside that module's folder.
 * A folder target that `exists` does not find there is a nested module (it has its own go.mod,
 * so the module zip leaves it out): its replace is dropped, and the version the go.mod
 * requires comes from the module proxy like any other module (Argo CD's gitops-engine).
 */
export function replaceEdits(gomod: string, moduleDir: string, exists: (dir: string) => boolean = () => true): string[] {
  const edits: string[] = [];
  const lines = gomod
    .replace(/^replace\s*\(\n([\s\S]*?)\n\)/gm, (_, body: string) =>
      body
        .split('\n')
        .map((l) => `replace ${l.trim()}`)
        .join('\n'),
    )
    .split('\n');
  for (const l of lines) {
    const m = /^replace\s+(\S+)(?:\s+(v\S+))?\s+=>\s+(\S+)(?:\s+(v\S+))?\s*$/.exec(l.trim());
    if (!m) continue;
    const [, from, fromV, to, toV] = m;
    const left = fromV ? `${from}@${fromV}` : from!;
    const folder = !toV && to!.startsWith('.') ? join(moduleDir, to!) : undefined;
    if (folder && !exists(folder)) continue;
    const right = toV ? `${to}@${toV}` : (folder ?? to!);
    edits.push(`-replace=${left}=${right}`);
  }
  return edits;
}

/** Rancher's local-path provisioner: dynamic PersistentVolumes in a folder of the node. */
export const LOCAL_PATH_BUILD: GoBuild = {
  name: 'local-path-provisioner',
  version: VERSIONS.localPath,
  require: [`github.com/rancher/local-path-provisioner@v${VERSIONS.localPath}`],
  packages: ['github.com/rancher/local-path-provisioner'],
  binaries: ['local-path-provisioner'],
};

const AW = VERSIONS.argoWorkflows;

/**
 * Argo Workflows' controller and the executor it runs in every workflow pod (`argoexec`:
 * init, wait and emissary). Its go.mod pins an old tablewriter with a replace directive.
 */
export const ARGO_WORKFLOWS_BUILD: GoBuild = {
  name: 'argo-workflows',
  version: AW,
  require: [`github.com/argoproj/argo-workflows/v3@v${AW}`],
  packages: ['github.com/argoproj/argo-workflows/v3/cmd/workflow-controller', 'github.com/argoproj/argo-workflows/v3/cmd/argoexec'],
  binaries: ['workflow-controller', 'argoexec'],
  // `version` is also the default executor image tag the controller names.
  ldflags: [`-X github.com/argoproj/argo-workflows/v3.version=v${AW}`],
  prepare: copyReplaces(`github.com/argoproj/argo-workflows/v3@v${AW}`),
  // Upstream's signal_linux.go is a symlink to signal_darwin.go; without it argoexec misses
  // `osspecific.Setpgid` ("undefined: Setpgid").
  symlinks: [
    {
      module: 'github.com/argoproj/argo-workflows/v3',
      link: 'workflow/executor/osspecific/signal_linux.go',
      target: 'workflow/executor/osspecific/signal_darwin.go',
    },
  ],
};

/**
 * Kaniko's executor, from Chainguard's fork (dependency and CVE updates only): the Go module
 * proxy refuses Google's archived module and the more active osscontainertools fork
 * (decision 040).
 */
export const KANIKO_BUILD: GoBuild = {
  name: 'kaniko',
  version: VERSIONS.kaniko,
  require: [`github.com/chainguard-dev/kaniko@v${VERSIONS.kaniko}`],
  packages: ['github.com/chainguard-dev/kaniko/cmd/executor'],
  binaries: ['executor'],
  ldflags: [`-X github.com/chainguard-dev/kaniko/pkg/version.version=v${VERSIONS.kaniko}`],
};

const CD = VERSIONS.argoCd;

/**
 * Argo CD's one binary: `cmd` picks the component by the name it is called as
 * (argocd-application-controller, argocd-repo-server, argocd-server, ...). 3.6 needs Go 1.27
 * and keeps gitops-engine as a nested module that the proxy serves on its own. The UI is not
 * built (the module ships an empty `ui/dist/app`): the server's API and CLI work, its web
 * pages are blank.
 */
export const ARGO_CD_BUILD: GoBuild = {
  name: 'argo-cd',
  version: CD,
  require: [`github.com/argoproj/argo-cd/v3@v${CD}`],
  packages: ['github.com/argoproj/argo-cd/v3/cmd'],
  binaries: ['argocd'],
  ldflags: [`-X github.com/argoproj/argo-cd/v3/common.version=${CD}`],
  toolchain: 'go1.27.3',
  prepare: copyReplaces(`github.com/argoproj/argo-cd/v3@v${CD}`),
};

const PROM = VERSIONS.prometheus;

/** Prometheus's `promtool`: `promtool test rules` runs the platform's alert rule unit tests. */
export const PROMTOOL_BUILD: GoBuild = {
  name: 'promtool',
  version: PROM,
  require: [`github.com/prometheus/prometheus@v${PROM}`],
  packages: ['github.com/prometheus/prometheus/cmd/promtool'],
  binaries: ['promtool'],
  // Without the service-discovery plugins (cloud SDKs, client-go): rule tests need none of them.
  tags: ['remove_all_sd'],
  // The module tag v0.316.0 is Prometheus 3.16.0 (its VERSION file).
  ldflags: [`-X github.com/prometheus/common/version.Version=3.${Number(PROM.split('.')[1]) - 300}.${PROM.split('.')[2]}`],
};

const TOFU = VERSIONS.opentofu;

/** OpenTofu (MPL): the platform's Terraform runs against a real S3 backend in the tests. */
export const OPENTOFU_BUILD: GoBuild = {
  name: 'opentofu',
  version: TOFU,
  require: [`github.com/opentofu/opentofu@v${TOFU}`],
  packages: ['github.com/opentofu/opentofu/cmd/tofu'],
  binaries: ['tofu'],
  // As its release build does (.goreleaser.yaml): without it the binary calls itself 1.12.6-dev.
  ldflags: ['-X github.com/opentofu/opentofu/version.dev=no'],
  // OpenTofu replaces hashicorp/hcl with its own fork.
  prepare: copyReplaces(`github.com/opentofu/opentofu@v${TOFU}`),
};

const SWFS = VERSIONS.seaweedfs;

/**
 * SeaweedFS (Apache-2.0), for its S3 gateway: it honours `If-None-Match: *` on PUT, which
 * OpenTofu's S3 backend lock file (`use_lockfile`) relies on. MinIO is AGPL and not listed by
 * the proxy (decision 050).
 */
export const SEAWEEDFS_BUILD: GoBuild = {
  name: 'seaweedfs',
  version: SWFS,
  require: [`github.com/seaweedfs/seaweedfs@v${SWFS}`],
  packages: ['github.com/seaweedfs/seaweedfs/weed'],
  binaries: ['weed'],
  prepare: copyReplaces(`github.com/seaweedfs/seaweedfs@v${SWFS}`),
};
