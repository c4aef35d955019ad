import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Change } from '../../runtime/change.ts';
import { ConfigError, TaskError } from '../../runtime/errors.ts';
import { mask } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { TemplateError } from './errors.ts';
import { filesFor } from './files.ts';
import { checkSource, renderTemplate } from './render.ts';
import type { TemplateSource } from './source.ts';
import { holdsSecret } from './vars.ts';

/** What `template.file` leaves behind. */
export interface FileResult {
  dest: string;
  /** SHA-256 of the content, hex. */
  sha256: string;
  mode: number;
}

/** Options of {@link file}. */
export type FileOptions = (
  | {
      /** The template file: an absolute path, or `new URL('./x.conf.hbs', import.meta.url)`. */
      src: string | URL;
      text?: never;
    }
  | {
      /** The template as inline text. */
      text: string;
      src?: never;
    }
) & {
  /** Where to write: an absolute path, or a `file:` URL. */
  dest: string | URL;
  /** Template variables; a function when they depend on earlier results. @default {} */
  vars?: Input<Record<string, unknown>>;
  /**
   * Permission bits of the file.
   * @default 0o600 when the vars hold a Secret; otherwise 0o644 for a new file, and an existing file keeps its mode
   */
  mode?: number;
  /**
   * Allow Secrets in `vars` to be rendered into the file. Without it, a Secret in the vars is a
   * validation error: writing a secret to disk must be a visible decision.
   * @default false
   */
  secretsAllowed?: boolean;
} & TaskOptions<FileResult>;

const SECRET_DIFF = 'content changed (the file holds secrets; not shown)';

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

function destPath(dest: string | URL): string {
  return dest instanceof URL ? fileURLToPath(dest) : dest;
}

/**
 * Renders a template into a local file. Plans by comparing the content's SHA-256 and the
 * mode with the file on disk; writes atomically (temp file and rename, parent folders
 * created). A diff shows the text unless the file holds secrets, then only that the content
 * changed. Templates are checked (and, with static vars, rendered) during validation.
 */
export function file(name: string, options: FileOptions): Task<FileResult> {
  const [own, common] = splitOptions(options);
  const source: TemplateSource = own.src !== undefined ? { src: own.src } : { text: own.text as string, name: `${name} (inline)` };

  const secretProblem = (hasSecrets: boolean): string | undefined => {
    if (!hasSecrets) return undefined;
    if (!own.secretsAllowed) return 'vars hold a Secret: rendering it into a file needs secretsAllowed: true (the file is then written with mode 0600)';
    if (own.mode !== undefined && own.mode & 0o007) return `mode ${octal(own.mode)} lets everyone read a file holding secrets`;
    return undefined;
  };

  return defineTask<FileResult>({
    kind: 'template.file',
    name,
    options: common,
    validate(report) {
      if ((own.src === undefined) === (own.text === undefined)) report('give exactly one of src (a template file) or text');
      const dest = own.dest === undefined ? '' : destPath(own.dest);
      if (!dest) report('dest is required');
      else if (!isAbsolute(dest)) report(`dest "${dest}" is relative: give an absolute path or new URL('./${dest}', import.meta.url)`);
      if (own.mode !== undefined && (!Number.isInteger(own.mode) || own.mode < 0 || own.mode > 0o7777)) {
        report(`mode must be permission bits such as 0o644, got ${String(own.mode)}`);
      }
      if ((own.src === undefined) === (own.text === undefined)) return;
      const vars = own.vars ?? {};
      try {
        if (isStatic(vars)) {
          const problem = secretProblem(holdsSecret(vars));
          if (problem) report(problem);
          renderTemplate(source, vars);
        } else {
          checkSource(source);
        }
      } catch (error) {
        if (error instanceof TemplateError) error.issues.forEach((issue) => report(issue));
        else throw error;
      }
    },
    async plan(ctx) {
      if (!ctx.host.local) throw new TaskError(ctx.path, `template.file writes files on this machine, not on host ${ctx.host.name}`);
      const rendered = renderTemplate(source, resolve(own.vars ?? {}, ctx));
      const problem = secretProblem(rendered.hasSecrets);
      if (problem) throw new ConfigError(problem, ctx.path);
      const dest = destPath(own.dest);
      const content = Buffer.from(rendered.text, 'utf8');
      const hash = sha256(content);
      const files = filesFor(ctx);
      const live = await files.read(dest);
      const wantMode = own.mode ?? (rendered.hasSecrets ? 0o600 : (live?.mode ?? 0o644));
      const result: FileResult = { dest, sha256: hash, mode: wantMode };
      const target = `file:${ctx.host.name}:${dest}`;

      const sameContent = live !== undefined && sha256(live.content) === hash;
      const sameMode = live !== undefined && live.mode === wantMode;
      if (sameContent && sameMode) return noChange(`${dest} already matches (sha256 ${hash.slice(0, 12)})`, result);

      const change: Change = live
        ? {
            target,
            action: 'update',
            summary: [!sameContent && (rendered.hasSecrets ? SECRET_DIFF : 'content changed'), !sameMode && `mode ${octal(live.mode)} -> ${octal(wantMode)}`]
              .filter(Boolean)
              .join(', '),
          }
        : { target, action: 'create', summary: `${content.length} bytes, mode ${octal(wantMode)}${rendered.hasSecrets ? ', holds secrets' : ''}` };
      if (!sameContent && !rendered.hasSecrets) {
        change.diff = { before: mask(live?.content.toString('utf8') ?? ''), after: mask(rendered.text) };
      }
      return {
        changes: [change],
        predicted: result,
        apply: async () => {
          await files.write(dest, content, wantMode);
          return result;
        },
      };
    },
  });
}
