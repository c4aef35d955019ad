import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, run, runStatus } from './proc.ts';

/**
 * Data that processes running as other users (sshd sessions, git, postgres) must reach.
 * When helix runs as root, the state folder is under /root (mode 0700), so such data lives
 * in `/srv/helix-sandbox` instead (override: HELIX_SANDBOX_SHARED_DIR).
 */
export function sharedDir(stateDir: string): string {
  if (process.env.HELIX_SANDBOX_SHARED_DIR) return process.env.HELIX_SANDBOX_SHARED_DIR;
  return isRoot() ? '/srv/helix-sandbox' : join(stateDir, 'shared');
}

/** Creates the shared folder traversable by other users (0755), and returns it. */
export function ensureSharedDir(stateDir: string): string {
  const dir = sharedDir(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  return dir;
}

export interface UserIds {
  uid: number;
  gid: number;
}

export async function userIds(name: string): Promise<UserIds | undefined> {
  try {
    const uid = Number((await run('id', ['-u', name])).stdout.trim());
    const gid = Number((await run('id', ['-g', name])).stdout.trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The comment (GECOS field) of every user the sandbox creates: its mark of ownership. */
export const USER_COMMENT = 'helix sandbox';

/** The comment field of a user, or undefined when there is no such user. */
export async function userComment(name: string): Promise<string | undefined> {
  try {
    return (await run('getent', ['passwd', name])).stdout.trim().split(':')[4] ?? '';
  } catch {
    return undefined;
  }
}

/**
 * Makes sure a login user exists. Returns true when the user is the sandbox's: created by this
 * call, or left by an earlier sandbox whose state was lost (it carries the sandbox's comment),
 * so `down` removes it; a user made by someone else is used but never removed. The password
 * field is `*` (no password, but not locked: sshd without PAM refuses locked `!` accounts even
 * for key logins).
 */
export async function ensureUser(name: string, home: string, shell: string): Promise<boolean> {
  const comment = await userComment(name);
  if (comment !== undefined) return comment === USER_COMMENT;
  await run('useradd', ['--system', '--user-group', '--home-dir', home, '--shell', shell, '--password', '*', '--comment', USER_COMMENT, name]);
  return true;
}

/**
 * Removes a user the sandbox made. A session of it that is still closing (sshd forks one per
 * login) makes `userdel` refuse, so its processes are stopped first and the removal retried.
 */
export async function removeUser(name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if ((await userComment(name)) === undefined) return;
    await runStatus('pkill', ['-KILL', '-u', name]);
    if ((await runStatus('userdel', [name])) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await run('userdel', [name]);
}
