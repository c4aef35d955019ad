import { group, type Group, type Secret } from 'helix';
import * as github from 'helix/modules/github';

/**
 * The source repository of a build (original: container_deployment/repo, which cloned or ran
 * copier on the controller and `rm -rf`'d the work tree). In helix the Workflow clones the
 * pinned revision inside the cluster, so this only checks that the repository exists and the
 * token can see it (a read, no change).
 *
 * @param o.baseUrl GitHub API base URL. @default 'https://api.github.com'
 */
export function sourceRepo(o: { owner: string; repo: string; token?: Secret; baseUrl?: string }): Group {
  return group('source-repo', [
    github.repository('exists', {
      github: { ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}), ...(o.token ? { token: o.token } : {}) },
      owner: o.owner,
      repo: o.repo,
    }),
  ]);
}
