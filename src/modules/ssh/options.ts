import type { Become } from './command.ts';

/** Options every host task takes besides the common task options. */
export interface HostOptions {
  /**
   * Run as another user through `sudo`: `true` for root, or a user name. The password is
   * the host's `becomePassword` (inventory), written to sudo's stdin, never printed.
   * @default false
   */
  become?: boolean | string;
}

export function toBecome(become: HostOptions['become']): Become | undefined {
  if (!become) return undefined;
  return become === true ? { user: 'root' } : { user: become };
}

const NAME = /^[a-z_][a-z0-9_.-]*\$?$/i;

/** Problems with owner/group names given to a task. */
export function ownerProblems(o: { owner?: string | undefined; group?: string | undefined }): string[] {
  const out: string[] = [];
  if (o.owner !== undefined && !NAME.test(o.owner)) out.push(`invalid owner "${o.owner}"`);
  if (o.group !== undefined && !NAME.test(o.group)) out.push(`invalid group "${o.group}"`);
  return out;
}
