import { readFileSync } from 'node:fs';
import { group, type Group, type Input, type Secret, type Task } from 'helix';
import * as git from 'helix/modules/git';

/** Reads a known_hosts file at plan time (host keys are always verified; none means refuse). */
export function knownHostsFile(file: string | undefined): Input<readonly string[] | undefined> {
  if (!file) return undefined;
  return () =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
}

export interface GitPushRole extends Group {
  readonly push: Task<git.PushResult>;
}

/**
 * Commits rendered manifests to the deployment repository and pushes them over SSH
 * (original: container_deployment/git_push). Unlike the original: no token in a remote URL,
 * host keys verified, no commit when nothing changed, a fast-forward push (never `--force`),
 * and files that must not be in git (secrets) are refused.
 *
 * @param o.repoUrl SSH URL of the repository.
 * @param o.branch @default 'main'
 * @param o.files Path in the repository → content.
 * @param o.prune Folders whose other files are removed, or `true`: every other file. @default []
 * @param o.message Commit message. @default 'helix: update rendered manifests'
 * @param o.sshKey Private key file (or Secret).
 * @param o.knownHostsFile known_hosts file of the git server; the user's known_hosts when absent.
 * @param o.name Group name in task paths. @default 'git-push'
 */
export function gitPush(o: {
  repoUrl: string;
  branch?: string;
  files: Input<Readonly<Record<string, string>>>;
  prune?: readonly string[] | true;
  message?: string;
  sshKey?: string | Secret;
  knownHostsFile?: string;
  name?: string;
}): GitPushRole {
  const knownHosts = knownHostsFile(o.knownHostsFile);
  const push = git.push('push', {
    repoUrl: o.repoUrl,
    branch: o.branch ?? 'main',
    files: o.files,
    prune: o.prune === true ? true : o.prune ? [...o.prune] : false,
    message: o.message ?? 'helix: update rendered manifests',
    ...(o.sshKey ? { sshKey: o.sshKey } : {}),
    ...(knownHosts ? { knownHosts } : {}),
  });
  return { ...group(o.name ?? 'git-push', [push]), push };
}

/** Deletes the branch the play pushed (rollback); nothing to do when it is gone. */
export function gitBranchAbsent(o: { repoUrl: string; branch: string; sshKey?: string; knownHostsFile?: string; name?: string }): Task<void> {
  const knownHosts = knownHostsFile(o.knownHostsFile);
  return git.branchAbsent(o.name ?? 'git-branch', {
    repoUrl: o.repoUrl,
    branch: o.branch,
    ...(o.sshKey ? { sshKey: o.sshKey } : {}),
    ...(knownHosts ? { knownHosts } : {}),
  });
}
