import type { HostFacts } from './facts.ts';

/** Problems with a remote path as written in a task (checked at validation, before any IO). */
export function pathProblems(path: string): string[] {
  const problems: string[] = [];
  if (!path.startsWith('/') && !path.startsWith('~/')) problems.push(`path "${path}" must be absolute or start with ~/`);
  if (/[\n\r\0]/.test(path)) problems.push('a path cannot contain a newline or NUL byte');
  if (path.split('/').some((s) => s === '..')) problems.push(`path "${path}" must not contain ".."`);
  const clean = normalize(path);
  if (clean === '/' || clean === '~') problems.push('refusing to manage / or the home directory itself');
  return problems;
}

function normalize(path: string): string {
  const out = path.replace(/\/+/g, '/').replace(/\/\.(?=\/|$)/g, '');
  return out.length > 1 ? out.replace(/\/$/, '') : out;
}

/** Expands `~/` with the login user's home and normalizes slashes. */
export function remotePath(path: string, facts: Pick<HostFacts, 'home'>): string {
  const p = path.startsWith('~/') ? `${facts.home.replace(/\/$/, '')}/${path.slice(2)}` : path;
  return normalize(p);
}

/** The folder holding `path` (`/etc` for `/etc/hosts`, `/` for `/x`). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
