/**
 * The peers helix is measured against besides plain Ansible (decision 046): `kubectl apply
 * --server-side` for Kubernetes objects, pyinfra 3 and Ansible with Mitogen for the SSH
 * fan-out. Each is installed from its own registry into `~/.cache/helix` (kubectl built from
 * the Go module proxy at the sandbox's Kubernetes version; pyinfra in its own venv; Mitogen in
 * the bench's Ansible venv, so the Ansible rows with and without it run the same Ansible).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { goBuild, goBuildDir, KUBECTL_BUILD } from '../src/sandbox/build.ts';
import { ANSIBLE_VENV, REPO } from './tools.ts';

/** The peers a run can leave out with `--peers`. */
export const PEERS = ['ansible', 'kubectl', 'pyinfra', 'mitogen'] as const;
export type Peer = (typeof PEERS)[number];

/** The name a row shows for each peer. */
export const PEER_NAMES: Record<Peer, string> = {
  ansible: 'Ansible',
  kubectl: 'kubectl apply --server-side',
  pyinfra: 'pyinfra',
  mitogen: 'Ansible + Mitogen',
};

/** kubectl at the sandbox's Kubernetes version, built by `ensureKubectl`. */
export const KUBECTL = join(goBuildDir(KUBECTL_BUILD.name, KUBECTL_BUILD.version), 'bin', 'kubectl');

/** The kubectl the bench's own reads use: the built one when there, else the one on PATH. */
export function kubectlBin(): string {
  return existsSync(KUBECTL) ? KUBECTL : 'kubectl';
}

/** Builds kubectl once from the Go module proxy (a few minutes; the module and build caches are the sandbox's). */
export async function ensureKubectl(log: (s: string) => void): Promise<string> {
  if (!existsSync(KUBECTL)) log(`building kubectl v${KUBECTL_BUILD.version} from the Go module proxy (once)`);
  await goBuild(KUBECTL_BUILD);
  return KUBECTL;
}

export const PYINFRA_VENV = process.env.HELIX_BENCH_PYINFRA_VENV ?? join(homedir(), '.cache', 'helix', 'pyinfra-venv');
export const PYINFRA = join(PYINFRA_VENV, 'bin', 'pyinfra');

/** The folder of Mitogen's Ansible strategy plugins in the Ansible venv, or null when Mitogen is not installed there. */
export function mitogenStrategyDir(venv = ANSIBLE_VENV): string | null {
  const lib = join(venv, 'lib');
  if (!existsSync(lib)) return null;
  for (const py of readdirSync(lib)) {
    const dir = join(lib, py, 'site-packages', 'ansible_mitogen', 'plugins', 'strategy');
    if (existsSync(dir)) return dir;
  }
  return null;
}

/** True when every peer the run asks for is installed (kubectl is built on demand instead). */
export function peersAvailable(wanted: ReadonlySet<Peer>): boolean {
  if (wanted.has('pyinfra') && !existsSync(PYINFRA)) return false;
  if (wanted.has('mitogen') && mitogenStrategyDir() === null) return false;
  return true;
}

/** `scripts/setup.sh bench`: the Ansible venv with Mitogen, and pyinfra in its own venv. */
export function installPeers(): void {
  execFileSync('bash', [join(REPO, 'scripts', 'setup.sh'), 'bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The version a peer reports, for the results' header. */
export function peerVersions(wanted: ReadonlySet<Peer>): Record<string, string> {
  const out: Record<string, string> = {};
  const read = (argv: string[], pick: RegExp): string => {
    try {
      return pick.exec(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? 'unknown';
    } catch {
      return 'unavailable';
    }
  };
  if (wanted.has('kubectl') && existsSync(KUBECTL)) out.kubectl = read([KUBECTL, 'version', '--client'], /Client Version: v?(\S+)/);
  if (wanted.has('pyinfra') && existsSync(PYINFRA)) out.pyinfra = read([PYINFRA, '--version'], /v?(\d[\w.]*)/);
  if (wanted.has('mitogen')) out.mitogen = read([join(ANSIBLE_VENV, 'bin', 'pip'), 'show', 'mitogen'], /^Version: (\S+)/m);
  return out;
}
