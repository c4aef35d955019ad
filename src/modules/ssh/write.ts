import { createHash } from 'node:crypto';
import type { Change } from '../../runtime/change.ts';
import { TaskError } from '../../runtime/errors.ts';
import { Secret } from '../../runtime/secret.ts';
import type { Become } from './command.ts';
import { changePath, type FileStat } from './filestat.ts';
import type { Transport } from './transport.ts';

/** The state a task wants for one path on a host. */
export interface FileWish {
  /** Expanded, absolute path. */
  path: string;
  state: 'file' | 'directory' | 'absent';
  /** The file's content; absent means "leave the content as it is" (an empty file if new). */
  content?: Buffer | Secret;
  /** Permission bits. New files get 0644, new directories 0755, existing ones keep theirs. */
  mode?: number;
  owner?: string;
  group?: string;
  /** With state absent: remove only an empty folder (`rmdir`) or an empty file, never what appeared since the plan. */
  onlyIfEmpty?: boolean;
}

/** Largest content shown in a diff. */
const MAX_DIFF = 64 * 1024;

export function sha256(data: Buffer | Secret): string {
  return createHash('sha256')
    .update(data instanceof Secret ? data.reveal() : data)
    .digest('hex');
}

export function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

/** `'0644'`, `'644'`, `'u=rw'` is not supported: modes are octal strings or numbers. */
export function parseMode(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') return mode;
  if (!/^0?[0-7]{3,4}$/.test(mode)) return Number.NaN;
  return Number.parseInt(mode, 8);
}

/** The mode of a new path when none is asked for: 0755 for folders, 0600 for secret content, else 0644. */
export function defaultMode(wish: FileWish): number {
  if (wish.state === 'directory') return 0o755;
  return wish.content instanceof Secret ? 0o600 : 0o644;
}

function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

function isText(data: Buffer): boolean {
  return data.length <= MAX_DIFF && !data.includes(0);
}

/** The changes that bring `live` to `wish`. A directory where a file is wanted (or back) is an error. */
export function fileChanges(host: string, wish: FileWish, live: FileStat, user: string): { changes: Change[]; reason: string } {
  const target = `file:${host}:${wish.path}`;
  const what = wish.state === 'directory' ? 'directory' : 'file';
  if (wish.state === 'absent') {
    if (!live.exists) return { changes: [], reason: `${wish.path} is already absent` };
    return { changes: [{ target, action: 'delete', summary: `remove ${live.type === 'directory' ? 'directory' : 'file'}` }], reason: '' };
  }
  if (live.exists && live.type !== wish.state) {
    throw new TaskError(
      target,
      `${wish.path} is a ${live.type === 'directory' ? 'directory' : live.type === 'file' ? 'file' : 'special file'}, not a ${what}; remove it first`,
    );
  }
  const wantOwner = [wish.owner, wish.group].filter(Boolean).join(':');
  if (!live.exists) {
    const mode = wish.mode ?? defaultMode(wish);
    const parts = [
      wish.state === 'file' ? bytes(wish.content instanceof Secret ? wish.content.reveal().length : (wish.content?.length ?? 0)) : '',
      `mode ${octal(mode)}`,
      wantOwner ? `owner ${wantOwner}` : '',
    ];
    const change: Change = { target, action: 'create', summary: `create ${what}, ${parts.filter(Boolean).join(', ')}` };
    if (wish.state === 'file' && wish.content instanceof Buffer && isText(wish.content)) change.diff = { before: '', after: wish.content.toString('utf8') };
    return { changes: [change], reason: '' };
  }
  const diffs: string[] = [];
  if (wish.state === 'file' && wish.content !== undefined) {
    if (live.sha256 === undefined) {
      throw new TaskError(target, `${wish.path} exists but ${user} cannot read it to compare: use become`);
    }
    if (live.sha256 !== sha256(wish.content)) diffs.push(wish.content instanceof Secret ? 'content (secret) changed' : 'content changed');
  }
  if (wish.mode !== undefined && live.mode !== (wish.mode & 0o7777)) diffs.push(`mode ${octal(live.mode ?? 0)} -> ${octal(wish.mode)}`);
  if (wish.owner && live.owner !== wish.owner) diffs.push(`owner ${live.owner} -> ${wish.owner}`);
  if (wish.group && live.group !== wish.group) diffs.push(`group ${live.group} -> ${wish.group}`);
  if (diffs.length === 0) return { changes: [], reason: `${wish.path} already matches` };
  return { changes: [{ target, action: 'update', summary: diffs.join(', ') }], reason: '' };
}

/** Adds a before/after diff to a content update of a small text file (never for secrets). */
export async function addDiff(t: Transport, change: Change, wish: FileWish, live: FileStat, become?: Become): Promise<void> {
  if (change.action !== 'update' || !(wish.content instanceof Buffer) || !isText(wish.content)) return;
  if (!live.exists || (live.size ?? 0) > MAX_DIFF || live.sha256 === sha256(wish.content)) return;
  const r = await t.run({ argv: ['cat', '--', wish.path], readOnly: true, ...(become ? { become } : {}) });
  if (r.code !== 0 || r.stdout.includes('\0')) return;
  change.diff = { before: r.stdout, after: wish.content.toString('utf8') };
}

/** Writes to a temp file next to the target, sets mode and owner, then renames it over the target. */
export const WRITE_SCRIPT = [
  'p=$1; m=$2; o=$3; d=${p%/*}',
  '[ -d "${d:-/}" ] || { echo "the folder ${d:-/} does not exist (manage it with a directory task first)" >&2; exit 1; }',
  't=$(mktemp "${d}/.helix.XXXXXX") || exit 1',
  'if cat > "$t" && chmod "$m" "$t" && { [ -z "$o" ] || chown "$o" "$t"; } && mv -f "$t" "$p"; then exit 0; fi',
  'rm -f "$t"',
  'exit 1',
].join('\n');

export const ATTR_SCRIPT = ['p=$1; m=$2; o=$3', '{ [ -z "$m" ] || chmod "$m" "$p"; } && { [ -z "$o" ] || chown "$o" "$p"; }'].join('\n');

export const DIR_SCRIPT = ['p=$1; m=$2; o=$3', 'mkdir -p -- "$p" && chmod "$m" "$p" && { [ -z "$o" ] || chown "$o" "$p"; }'].join('\n');

/**
 * Brings `path` to the wished state. Content goes on stdin to a temp file in the same
 * folder, renamed over the target: readers see the old file or the new one, never half.
 */
export async function applyFile(t: Transport, wish: FileWish, live: FileStat, become?: Become): Promise<void> {
  const b = become ? { become } : {};
  const owner = [wish.owner ?? '', wish.group ?? ''].join(':').replace(/:$/, '');
  if (wish.state === 'absent') {
    const argv = !wish.onlyIfEmpty
      ? ['rm', '-rf', '--', wish.path]
      : live.type === 'directory'
        ? ['rmdir', '--', wish.path]
        : ['sh', '-c', '[ ! -s "$1" ] || { echo "$1 is no longer empty" >&2; exit 1; }; rm -f -- "$1"', 'helix-rm-empty', wish.path];
    await changePath(t, wish.path, { argv, ...b }, `removing ${wish.path}`);
    return;
  }
  if (wish.state === 'directory') {
    const mode = octal(wish.mode ?? live.mode ?? 0o755);
    await changePath(t, wish.path, { argv: ['sh', '-c', DIR_SCRIPT, 'helix-dir', wish.path, mode, owner], ...b }, `creating directory ${wish.path}`);
    return;
  }
  const contentChanged = wish.content !== undefined && live.sha256 !== sha256(wish.content);
  if (live.exists && !contentChanged) {
    const mode = wish.mode !== undefined ? octal(wish.mode) : '';
    await changePath(t, wish.path, { argv: ['sh', '-c', ATTR_SCRIPT, 'helix-attr', wish.path, mode, owner], ...b }, `setting mode/owner of ${wish.path}`);
    return;
  }
  const mode = octal(wish.mode ?? live.mode ?? defaultMode(wish));
  // Keep the owner of a file we replace when running as root and none was asked for.
  const keep = !owner && live.exists && become ? `${live.owner}:${live.group}` : owner;
  await changePath(
    t,
    wish.path,
    { argv: ['sh', '-c', WRITE_SCRIPT, 'helix-write', wish.path, mode, keep], stdin: wish.content ?? Buffer.alloc(0), ...b },
    `writing ${wish.path}`,
  );
}
