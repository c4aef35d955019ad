import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaskError } from '../../runtime/errors.ts';
import { defineTask, type Input, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts } from './facts.ts';
import { type FileResult, staticFileProblems } from './file.ts';
import { planFiles } from './filetask.ts';
import { type HostOptions, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { transportFor } from './transport.ts';
import { type FileWish, parseMode } from './write.ts';

export interface CopyResult extends FileResult {
  /** Every file and folder the copy manages on the host. */
  paths: string[];
}

export interface CopyOptions extends HostOptions, TaskOptions<CopyResult> {
  /** A local file or folder: an absolute path or `new URL('./files/x', import.meta.url)`. */
  src: string | URL;
  /** Path on the host (absolute or `~/…`). A folder is copied to `dest` recursively (its content, like `rsync src/ dest/`). */
  dest: Input<string>;
  /** Octal mode of the files. By default a new file keeps the local file's permission bits. */
  mode?: string | number;
  /** Octal mode of folders the copy creates. @default '0755' */
  dirMode?: string | number;
  owner?: string;
  group?: string;
}

interface LocalEntry {
  rel: string;
  dir: boolean;
  mode: number;
  file: string;
}

/** Lists a local file or folder (symbolic links followed), folders first. */
function listLocal(src: string): LocalEntry[] {
  const st = statSync(src);
  if (!st.isDirectory()) return [{ rel: '', dir: false, mode: st.mode & 0o777, file: src }];
  const out: LocalEntry[] = [{ rel: '', dir: true, mode: st.mode & 0o777, file: src }];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const file = join(dir, name);
      const s = statSync(file);
      const r = rel ? `${rel}/${name}` : name;
      if (s.isDirectory()) {
        out.push({ rel: r, dir: true, mode: s.mode & 0o777, file });
        walk(file, r);
      } else if (s.isFile()) {
        out.push({ rel: r, dir: false, mode: s.mode & 0o777, file });
      }
    }
  };
  walk(src, '');
  return out;
}

function localPath(src: string | URL): string {
  return src instanceof URL ? fileURLToPath(src) : src;
}

/** Copies a local file or folder to the host; only files whose hash differs are sent. */
export function copy(name: string, options: CopyOptions): Task<CopyResult> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  return defineTask<CopyResult>({
    kind: 'ssh.copy',
    name,
    options: common,
    validate: (report) => {
      staticFileProblems({ path: own.dest, mode: own.mode, owner: own.owner, group: own.group }).forEach(report);
      const dirMode = parseMode(own.dirMode);
      if (dirMode !== undefined && Number.isNaN(dirMode)) report(`invalid dirMode ${String(own.dirMode)}`);
      const src = localPath(own.src);
      if (!isAbsolute(src)) report(`src "${src}" must be absolute (or new URL('./${src}', import.meta.url))`);
      else {
        try {
          statSync(src);
        } catch {
          report(`src ${src} does not exist`);
        }
      }
    },
    plan: async (ctx) => {
      const facts = await gatherFacts(transportFor(ctx));
      const raw = resolve(own.dest, ctx);
      const problems = pathProblems(raw);
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const dest = remotePath(raw, facts);
      let entries: LocalEntry[];
      try {
        entries = listLocal(localPath(own.src));
      } catch (error) {
        throw new TaskError(ctx.path, `cannot read ${localPath(own.src)}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      }
      const mode = parseMode(own.mode);
      const dirMode = parseMode(own.dirMode);
      const owner = { ...(own.owner ? { owner: own.owner } : {}), ...(own.group ? { group: own.group } : {}) };
      const wishes: FileWish[] = entries.map((e) => {
        const path = e.rel ? `${dest}/${e.rel}` : dest;
        if (e.dir) return { path, state: 'directory', ...(dirMode !== undefined ? { mode: dirMode } : {}), ...owner };
        return { path, state: 'file', content: readFileSync(e.file), mode: mode ?? e.mode, ...owner };
      });
      const paths = wishes.map((w) => w.path);
      return planFiles(ctx, wishes, { become, result: { path: dest, paths }, facts });
    },
  });
}
