import type { TaskContext } from '../../runtime/task.ts';
import type { Become, Command, CommandResult } from './command.ts';
import { gatherFacts } from './facts.ts';
import { pathProblems, remotePath } from './paths.ts';
import { type Transport, transportFor } from './transport.ts';

/** What a path on a host is, as one batched read reports it. */
export interface FileStat {
  path: string;
  exists: boolean;
  type?: 'file' | 'directory' | 'link' | 'other';
  /** Permission bits, e.g. 0o644. */
  mode?: number;
  owner?: string;
  group?: string;
  size?: number;
  /** sha256 of a readable regular file's content. */
  sha256?: string;
}

/**
 * Stats and hashes every path given as an argument in one round trip: one `stat` for all
 * of them, then one `sha256sum` for the readable regular files. Missing paths are simply
 * absent from the output. Symbolic links are followed.
 */
export const STAT_SCRIPT = [
  'stat -L -c \'%F|%a|%U|%G|%s|%n\' -- "$@" 2>/dev/null',
  'echo --',
  'n=$#',
  'for p do [ -f "$p" ] && [ -r "$p" ] && set -- "$@" "$p"; done',
  'shift "$n"',
  '[ "$#" -eq 0 ] || sha256sum -- "$@" 2>/dev/null',
  'exit 0',
].join('\n');

function typeOf(f: string): FileStat['type'] {
  if (f.startsWith('regular')) return 'file';
  if (f === 'directory') return 'directory';
  if (f === 'symbolic link') return 'link';
  return 'other';
}

function unescapeHashName(name: string): string {
  return name.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses STAT_SCRIPT's output into one FileStat per asked path. */
export function parseStats(paths: readonly string[], text: string): Map<string, FileStat> {
  const out = new Map<string, FileStat>(paths.map((p) => [p, { path: p, exists: false }]));
  const [statPart = '', hashPart = ''] = text.split(/^--$/m);
  for (const line of statPart.split('\n')) {
    const fields = line.split('|');
    if (fields.length < 6) continue;
    const [type, mode, owner, group, size] = fields;
    const name = fields.slice(5).join('|');
    if (!out.has(name)) continue;
    out.set(name, { path: name, exists: true, type: typeOf(type!), mode: Number.parseInt(mode!, 8), owner: owner!, group: group!, size: Number(size) });
  }
  for (const raw of hashPart.split('\n')) {
    const escaped = raw.startsWith('\\');
    const line = escaped ? raw.slice(1) : raw;
    const m = /^([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (!m) continue;
    const name = escaped ? unescapeHashName(m[2]!) : m[2]!;
    const s = out.get(name);
    if (s?.exists) s.sha256 = m[1]!;
  }
  return out;
}

/** Reads many paths in one round trip. */
export async function statNow(t: Transport, paths: readonly string[], become?: Become): Promise<Map<string, FileStat>> {
  if (paths.length === 0) return new Map();
  const r = await t.check({ argv: ['sh', '-c', STAT_SCRIPT, 'helix-stat', ...paths], readOnly: true, ...(become ? { become } : {}) }, 'reading file facts');
  return parseStats(paths, r.stdout);
}

/**
 * Paths tasks will read, in the order the tasks were declared. When a task reads its
 * paths, the paths of the next tasks declared after it are read in the same round trip,
 * so a playbook of many file tasks costs one read on a host where nothing changes.
 * Whatever is read stays valid only while nothing ran on the host that may have changed
 * it: any command that is not read-only bumps the host's generation and drops the batch.
 */
interface Declared {
  become: string;
  paths: readonly string[];
}
const declared: Declared[] = [];

/** How many later declarations a read also covers. */
const LOOKAHEAD = 64;
/** Most paths in one read. */
const MAX_BATCH = 512;

function becomeKey(become: Become | undefined): string {
  return become ? `become:${become.user ?? 'root'}` : 'login';
}

/**
 * Declares the static paths a task will read (at construction). Returns the declaration's
 * position, which the task passes to {@link readFileFacts}. Paths computed at run time are
 * not declared; they are read when their task plans.
 */
export function declarePaths(paths: readonly string[], become?: Become): number {
  declared.push({ become: becomeKey(become), paths: paths.filter((p) => pathProblems(p).length === 0) });
  return declared.length - 1;
}

interface Batch {
  generation: number;
  stats: Map<string, FileStat>;
}

/**
 * File facts for a task's paths (already expanded), from the host's current batch when it
 * is still valid, else from a new read that also covers the next declared tasks' paths.
 */
export async function readFileFacts(
  ctx: TaskContext,
  paths: readonly string[],
  opts: { become?: Become; declaration?: number } = {},
): Promise<Map<string, FileStat>> {
  const t = transportFor(ctx);
  const key = `stat:${becomeKey(opts.become)}`;
  const batch = t.cache.get(key) as Batch | undefined;
  if (batch && batch.generation === t.generation && paths.every((p) => batch.stats.has(p))) {
    return new Map(paths.map((p) => [p, batch.stats.get(p)!]));
  }
  const want = new Set(paths);
  if (opts.declaration !== undefined) {
    const facts = await gatherFacts(t);
    const mine = becomeKey(opts.become);
    for (const d of declared.slice(opts.declaration + 1, opts.declaration + 1 + LOOKAHEAD)) {
      if (d.become !== mine) continue;
      for (const p of d.paths) {
        if (want.size >= MAX_BATCH) break;
        want.add(remotePath(p, facts));
      }
    }
  }
  const generation = t.generation;
  const stats = await statNow(t, [...want], opts.become);
  if (t.generation === generation) {
    // Still valid: add to what the host's batch already holds instead of replacing it.
    const current = t.cache.get(key) as Batch | undefined;
    if (current && current.generation === generation) for (const [p, s] of stats) current.stats.set(p, s);
    else t.cache.set(key, { generation, stats } satisfies Batch);
  }
  return new Map(paths.map((p) => [p, stats.get(p)!]));
}

/**
 * Records that a task itself just changed `path` (with its parents and anything under it)
 * and nothing else: the batch stays valid for every other path instead of being read again.
 */
function forgetPath(t: Transport, path: string, generationBefore: number, generationAfter: number): void {
  for (const [key, value] of t.cache) {
    if (!key.startsWith('stat:')) continue;
    const batch = value as Batch;
    if (batch.generation !== generationBefore) continue;
    for (const p of [...batch.stats.keys()]) {
      if (p === path || p.startsWith(`${path}/`) || path.startsWith(`${p}/`)) batch.stats.delete(p);
    }
    batch.generation = generationAfter;
  }
}

/**
 * Runs a command that changes `path` only (a write, a mkdir, a removal) and keeps the rest
 * of the host's file facts valid, when nothing else ran on the host meanwhile.
 */
export async function changePath(t: Transport, path: string, cmd: Command, what: string): Promise<CommandResult> {
  const before = t.generation;
  const result = await t.check(cmd, what);
  if (t.generation === before + 2) forgetPath(t, path, before, t.generation);
  return result;
}
