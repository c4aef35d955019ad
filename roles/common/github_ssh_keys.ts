import { defineTask, group, noChange, Secret, type Group, type Task } from 'helix';
import * as github from 'helix/modules/github';
import * as k8s from 'helix/modules/k8s';
import { secretManifest } from './kept_secret.ts';

export interface GithubSshKeys extends Group {
  /** The private key (kept in the Secret, key `ssh-privatekey`). */
  readonly privateKey: Task<Secret>;
}

/** Reads the kept private key, or generates an ed25519 key pair in-process (no ssh-keygen, no file). */
function keptKeypair(name: string, namespace: string, secretName: string): Task<Secret> {
  return defineTask<Secret>({
    kind: 'github.keptKeypair',
    name,
    plan: async (ctx) => {
      const live = await k8s.readObject(k8s.k8sClient(ctx), { apiVersion: 'v1', kind: 'Secret', namespace, name: secretName }, ctx.signal);
      const b64 = (live?.data as Record<string, string> | undefined)?.['ssh-privatekey'];
      if (b64)
        return noChange(
          `kept the deploy key in Secret ${namespace}/${secretName}`,
          new Secret(Buffer.from(b64, 'base64').toString('utf8'), `Secret ${namespace}/${secretName}`),
        );
      return noChange(`generated a new ed25519 deploy key for Secret ${namespace}/${secretName}`, github.generateSshKeypair(`helix ${secretName}`).privateKey);
    },
  });
}

/**
 * A deploy key for one GitHub repository (original: common/github_ssh_keys): generated once
 * in-process, kept in a Secret (the Workflow mounts it), registered read-only through the
 * GitHub API, with the host keys to trust next to it. Unlike the original: no private key
 * on disk, no `StrictHostKeyChecking no`, no key rewritten in place, a read-only key, and a
 * changed key replaces the registered one.
 *
 * @param o.github API connection (base URL and token).
 * @param o.owner Organisation or user.
 * @param o.repo Repository name.
 * @param o.namespace Namespace of the Secret (the build's).
 * @param o.secretName @default `github-ssh-key-<repo>`
 * @param o.knownHosts Host key lines of the git server the Workflow clones from.
 * @param o.title Deploy key title. @default `helix <namespace>/<secretName>`
 */
export function githubSshKeys(o: {
  github: github.GithubConnection;
  owner: string;
  repo: string;
  namespace: string;
  secretName?: string;
  knownHosts: readonly string[];
  title?: string;
  labels?: Record<string, string>;
}): GithubSshKeys {
  const secretName = o.secretName ?? `github-ssh-key-${o.repo}`;
  const privateKey = keptKeypair('keypair', o.namespace, secretName);
  const secret = k8s.apply('secret', {
    manifest: (ctx) =>
      secretManifest({
        name: secretName,
        namespace: o.namespace,
        labels: { ...o.labels, 'app.kubernetes.io/part-of': o.labels?.['app.kubernetes.io/part-of'] ?? 'workflow-ssh-keys', 'helix.dev/repo': o.repo },
        type: 'kubernetes.io/ssh-auth',
        data: { 'ssh-privatekey': ctx.result(privateKey), known_hosts: `${o.knownHosts.join('\n')}\n` },
      }),
  });
  const key = github.deployKey('deploy-key', {
    github: o.github,
    owner: o.owner,
    repo: o.repo,
    title: o.title ?? `helix ${o.namespace}/${secretName}`,
    key: (ctx) => github.publicKeyOf(ctx.result(privateKey)),
    readOnly: true,
  });
  return { ...group('github-ssh-keys', [privateKey, secret, key]), privateKey };
}

/** Removes the registered deploy key and its Secret (rollback). */
export function githubSshKeysAbsent(o: {
  github: github.GithubConnection;
  owner: string;
  repo: string;
  namespace: string;
  secretName?: string;
  title?: string;
}): Group {
  const secretName = o.secretName ?? `github-ssh-key-${o.repo}`;
  return group('github-ssh-keys', [
    github.deployKey('deploy-key', { github: o.github, owner: o.owner, repo: o.repo, title: o.title ?? `helix ${o.namespace}/${secretName}`, state: 'absent' }),
    k8s.remove('secret', { apiVersion: 'v1', kind: 'Secret', namespace: o.namespace, name: secretName }),
  ]);
}
