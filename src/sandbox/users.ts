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

/**
 * Makes sure a login user exists. Returns true when this call created it (so `down` removes
 * only users the sandbox made). The password field is `*` (no password, but not locked:
 * sshd without PAM refuses locked `!` accounts even for key logins).
 */
export async function ensureUser(name: string, home: string, shell: string): Promise<boolean> {
  if (await userIds(name)) return false;
  await run('useradd', ['--system', '--user-group', '--home-dir', home, '--shell', shell, '--password', '*', '--comment', 'helix sandbox', name]);
  return true;
}

export async function removeUser(name: string): Promise<void> {
  await runStatus('userdel', [name]);
}
