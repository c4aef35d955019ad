import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { TaskContext } from '../../runtime/task.ts';

/** A file as `template.file` sees it. */
export interface LiveFile {
  content: Buffer;
  /** Permission bits (`0o644`). */
  mode: number;
}

/** The IO seam of `template.file`: read a file, and replace one atomically. */
export interface FileStore {
  /** The file, or undefined when it does not exist. */
  read(path: string): Promise<LiveFile | undefined>;
  /** Writes `content` with `mode` so that readers see the old or the new file, never a part. */
  write(path: string, content: Buffer, mode: number): Promise<void>;
}

/** The local file system: temp file in the same folder, fsync, chmod, rename. */
export const localFiles: FileStore = {
  async read(path) {
    try {
      const [content, st] = await Promise.all([readFile(path), stat(path)]);
      return { content, mode: st.mode & 0o7777 };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  },
  async write(path, content, mode) {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.${basename(path)}.helix-${randomBytes(6).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', mode);
      try {
        await handle.writeFile(content);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temp, mode); // open() honours the umask; the wish does not
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  },
};

/** The run's file store (tests put a fake under this key). */
export const FILES_KEY = 'template.files';

export function filesFor(ctx: TaskContext): FileStore {
  return ctx.memo<FileStore>(FILES_KEY, () => localFiles);
}
