import { TaskError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { ensureCacheRepo, lockFor, lsRemote } from './cache.ts';
import { branchTarget } from './push.ts';
import { git } from './run.ts';
import { withSsh } from './ssh.ts';
import { parseRemote } from './url.ts';

export interface BranchAbsentOptions {
  repoUrl: Input<string>;
  branch: string;
  sshKey?: Input<string | Secret | undefined>;
  knownHosts?: Input<readonly string[] | undefined>;
}

/**
 * Deletes a branch of a remote repository (for rollbacks). Plans nothing when it does not
 * exist; the delete is refused if the branch moved since the plan read it.
 */
export function branchAbsent(name: string, options: BranchAbsentOptions & TaskOptions<void>): Task<void> {
  const [spec, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'git.branchAbsent',
    name,
    options: common,
    validate: (report) => {
      if (isStatic(spec.repoUrl) && !parseRemote(spec.repoUrl)) report(`repoUrl: "${spec.repoUrl}" is not a repository URL`);
      if (!spec.branch || spec.branch.startsWith('-') || spec.branch.includes('..')) report(`branch: "${spec.branch}" is not a valid branch name`);
    },
    plan: async (ctx) => {
      const url = resolve(spec.repoUrl, ctx);
      const remote = parseRemote(url);
      if (!remote) throw new TaskError(ctx.path, `repoUrl: "${url}" is not a repository URL`);
      const sshKey = spec.sshKey === undefined ? undefined : resolve(spec.sshKey, ctx);
      const knownHosts = spec.knownHosts === undefined ? undefined : resolve(spec.knownHosts, ctx);
      const access = { ...(sshKey !== undefined ? { sshKey } : {}), ...(knownHosts !== undefined ? { knownHosts } : {}) };
      const head = await withSsh(remote, access, ctx.path, (env) => lsRemote(remote, spec.branch, env));
      if (!head) return noChange(`branch ${spec.branch} of ${url} is already absent`, undefined);
      return {
        changes: [{ target: branchTarget(url, spec.branch), action: 'delete', summary: `delete branch ${spec.branch} (at ${head.slice(0, 12)})` }],
        apply: async () => {
          const dir = await ensureCacheRepo(remote);
          await lockFor(
            ctx,
            dir,
          )(() =>
            withSsh(remote, access, ctx.path, (env) =>
              git(['push', '--quiet', `--force-with-lease=refs/heads/${spec.branch}:${head}`, remote.url, `:refs/heads/${spec.branch}`], {
                gitDir: dir,
                env,
                what: `delete branch ${spec.branch}`,
                remote: remote.url,
              }),
            ),
          );
        },
      };
    },
  });
}
