import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { baseUrlOf, type GithubConnection, githubApi, githubError, statusOf } from './client.ts';

export interface RepositoryInfo {
  fullName: string;
  private: boolean;
  defaultBranch: string;
  sshUrl: string;
}

export interface RepositoryOptions {
  github: GithubConnection;
  owner: string;
  repo: string;
}

/** Reads a repository, failing when it does not exist or the token cannot see it. Plans no change. */
export async function readRepository(ctx: TaskContext, o: RepositoryOptions): Promise<RepositoryInfo | undefined> {
  try {
    const { data } = await githubApi(ctx, o.github).rest.repos.get({ owner: o.owner, repo: o.repo });
    return { fullName: data.full_name, private: data.private, defaultBranch: data.default_branch, sshUrl: data.ssh_url };
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw githubError(o.github, `read repository ${o.owner}/${o.repo}`, error);
  }
}

/** Checks that a repository exists (and the token can see it); its result describes it. */
export function repository(name: string, options: RepositoryOptions & TaskOptions<RepositoryInfo>): Task<RepositoryInfo> {
  const [spec, common] = splitOptions(options);
  return defineTask<RepositoryInfo>({
    kind: 'github.repository',
    name,
    options: common,
    validate: (report) => validateRepo(spec, report),
    plan: async (ctx) => {
      const info = await readRepository(ctx, spec);
      if (!info) throw new TaskError(ctx.path, `repository ${spec.owner}/${spec.repo} does not exist on ${baseUrlOf(spec.github)}, or the token cannot see it`);
      return noChange(`repository ${info.fullName} exists`, info);
    },
  });
}

export function validateRepo(o: RepositoryOptions, report: (m: string) => void): void {
  if (!o.github) report('github: the connection ({ baseUrl?, token? }) is required');
  else if (o.github.baseUrl !== undefined && !/^https?:\/\/\S+$/.test(o.github.baseUrl)) report(`github.baseUrl: "${o.github.baseUrl}" is not an http(s) URL`);
  if (!/^[A-Za-z0-9_.-]+$/.test(o.owner ?? '')) report(`owner: "${o.owner}" is not a GitHub owner name`);
  if (!/^[A-Za-z0-9_.-]+$/.test(o.repo ?? '')) report(`repo: "${o.repo}" is not a GitHub repository name`);
}
