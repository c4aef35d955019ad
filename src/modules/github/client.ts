import { Octokit } from '@octokit/rest';
import { unverifiedTargets } from '../../runtime/env.ts';
import { TargetError } from '../../runtime/errors.ts';
import { fetchWithTls } from '../../runtime/fetch.ts';
import type { Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';

/** How to reach the GitHub API. */
export interface GithubConnection {
  /** API base URL: GitHub Enterprise (`https://ghe.example.com/api/v3`) or a test server. @default 'https://api.github.com' */
  baseUrl?: string;
  /** A token allowed to administer the repository's deploy keys. */
  token?: Secret;
}

export const DEFAULT_BASE_URL = 'https://api.github.com';

export function baseUrlOf(c: GithubConnection): string {
  return (c.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
}

/** One Octokit per (base URL, token) and run, with the environment's TLS setting. */
export function githubApi(ctx: TaskContext, c: GithubConnection): Octokit {
  const baseUrl = baseUrlOf(c);
  const who = c.token ? `token from ${c.token.origin}` : 'anonymous';
  return ctx.memo(`github:${baseUrl}|${who}`, () => {
    return new Octokit({
      baseUrl,
      ...(c.token ? { auth: c.token.reveal() } : {}),
      userAgent: 'helix',
      request: { fetch: fetchWithTls(unverifiedTargets(ctx.env)), timeout: 30_000 },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
  });
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  const e = error as { name?: string; status?: unknown } | undefined;
  return e?.name === 'HttpError' && typeof e.status === 'number' ? e.status : undefined;
}

/** A TargetError for a failed GitHub call: the operation and status, GitHub's validation text, never a body. */
export function githubError(c: GithubConnection, op: string, error: unknown): TargetError {
  const target = `github ${baseUrlOf(c)}`;
  const status = statusOf(error);
  if (status === undefined) {
    const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
    return new TargetError(target, `${op}: cannot connect (${cause?.code ?? (error instanceof Error ? error.message : String(error))})`);
  }
  const data = (error as { response?: { data?: { errors?: { message?: string }[] } } }).response?.data;
  const detail = data?.errors?.flatMap((e) => (e.message ? [e.message] : [])).join('; ');
  const hint =
    status === 401
      ? ' (bad credentials: check the token)'
      : status === 403
        ? ' (the token lacks permission, or a rate limit was hit)'
        : status === 404
          ? ' (not found, or the token cannot see it)'
          : '';
  return new TargetError(target, `${op}: HTTP ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}${hint}`);
}
