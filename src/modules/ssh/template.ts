import { TaskError } from '../../runtime/errors.ts';
import { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { checkSource, renderTemplate } from '../template/render.ts';
import type { TemplateSource } from '../template/source.ts';
import { gatherFacts } from './facts.ts';
import { type FileResult, staticFileProblems } from './file.ts';
import { declarePaths } from './filestat.ts';
import { planFiles } from './filetask.ts';
import { type HostOptions, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { transportFor } from './transport.ts';
import { parseMode } from './write.ts';

export type TemplateOptions = HostOptions &
  TaskOptions<FileResult> &
  TemplateSource & {
    /** Absolute path on the host, or `~/…`. */
    path: Input<string>;
    /** Variables the template sees. Secrets render as their values, and the file is then treated as secret. */
    vars?: Input<Record<string, unknown>>;
    /** Octal mode. New files get 0644, or 0600 when a secret was rendered. */
    mode?: string | number;
    owner?: string;
    group?: string;
  };

function sourceOf(o: TemplateOptions): TemplateSource {
  if (o.src !== undefined) return { src: o.src };
  return { text: o.text, ...(o.name ? { name: o.name } : {}) };
}

/**
 * A file on the host rendered from a Handlebars template on this machine (strict: an
 * undefined variable is an error), written like {@link file}: compared by hash, written
 * atomically.
 */
export function template(name: string, options: TemplateOptions): Task<FileResult> {
  const [own, common] = splitOptions(options);
  const o = own as TemplateOptions;
  const become = toBecome(o.become);
  const source = sourceOf(o);
  const declaration = isStatic(o.path) ? declarePaths([o.path], become) : undefined;
  return defineTask<FileResult>({
    kind: 'ssh.template',
    name,
    options: common,
    validate: (report) => {
      staticFileProblems(o).forEach(report);
      try {
        if (o.vars === undefined || isStatic(o.vars)) renderTemplate(source, o.vars ?? {});
        else checkSource(source);
      } catch (error) {
        report((error as Error).message);
      }
    },
    plan: async (ctx) => {
      const facts = await gatherFacts(transportFor(ctx));
      const raw = resolve(o.path, ctx);
      const problems = pathProblems(raw);
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const path = remotePath(raw, facts);
      const rendered = renderTemplate(source, o.vars === undefined ? {} : resolve(o.vars, ctx));
      const content = rendered.hasSecrets ? new Secret(rendered.text, `template ${rendered.name}`) : Buffer.from(rendered.text);
      const mode = parseMode(o.mode);
      return planFiles(
        ctx,
        [
          {
            path,
            state: 'file',
            content,
            ...(mode !== undefined ? { mode } : {}),
            ...(o.owner ? { owner: o.owner } : {}),
            ...(o.group ? { group: o.group } : {}),
          },
        ],
        { become, declaration, result: { path }, facts },
      );
    },
  });
}
