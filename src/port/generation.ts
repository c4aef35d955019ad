import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import type { Project, Role, SourceTask } from './ansible/source.ts';
import { readTaskFile } from './ansible/read.ts';
import { asString } from './jinja/code.ts';
import type { Scope } from './jinja/scope.ts';
import { Untranslatable } from './jinja/scope.ts';
import { arr, type Code, obj, raw } from './emit/code.ts';
import { Imports } from './emit/imports.ts';
import { LIB_FILE } from './emit/lib.ts';
import { camel, pascal } from './emit/names.ts';
import { convertTemplate } from './emit/template.ts';
import type { RenderedTemplate, TemplateRef } from './map/context.ts';
import type { Reports } from './report.ts';
import type { Knowledge } from './vars.ts';

/** One generated file: where it goes (relative to the output folder) and what it holds. */
export interface OutFile {
  readonly text?: string;
  /** Copy this file as is (files/ of roles and playbooks). */
  readonly copyFrom?: string;
}

/**
 * The state of one generation pass over a project: output files, the shared knowledge, the
 * report, and the services the emitters share (templates, files, roles, includes).
 */
export class Generation {
  readonly project: Project;
  readonly k: Knowledge;
  readonly reports: Reports;
  readonly component: string;
  readonly files = new Map<string, OutFile>();
  libUsed = false;

  constructor(project: Project, k: Knowledge, reports: Reports, component: string) {
    this.project = project;
    this.k = k;
    this.reports = reports;
    this.component = component;
  }

  /** A source file as the report names it: relative to the input. */
  label(file: string): string {
    const r = relative(this.project.root, file);
    if (!r) return basename(file);
    return r.startsWith('..') ? relative(dirname(this.project.root), file) : r;
  }

  write(path: string, text: string): void {
    this.files.set(path, { text });
  }

  /** Relative import path from one output file to another (`../../lib/port.ts`). */
  importPath(fromFile: string, toFile: string): string {
    const r = posix.relative(posix.dirname(fromFile), toFile);
    return r.startsWith('.') ? r : `./${r}`;
  }

  lib(fromFile: string, imports: Imports, name: string): string {
    this.libUsed = true;
    return imports.named(this.importPath(fromFile, LIB_FILE), name);
  }

  /** The role's output folder: `roles/<name>`. */
  roleDir(name: string): string {
    return `roles/${name.replace(/[^A-Za-z0-9_./-]/g, '_')}`;
  }

  roleFunction(name: string, tasksFrom?: string): string {
    const base = camel(name.split('/').at(-1)!);
    return tasksFrom && tasksFrom !== 'main' ? `${base}${pascal(tasksFrom)}` : base;
  }

  playbookDir(): string {
    return `playbooks/${this.component}`;
  }

  /** Finds a template by `src:` for a task: the role's templates/, then the project's. */
  template(src: string, from: SourceTask, role: Role | undefined): TemplateRef | undefined {
    if (src.startsWith('/')) {
      return existsSync(src) ? { path: basename(src), text: readFileSync(src, 'utf8'), owner: role ? 'role' : 'playbook' } : undefined;
    }
    const clean = src.replace(/^templates\//, '');
    if (role) {
      const t = role.templates[clean];
      if (t !== undefined) return { path: clean, text: t, owner: 'role' };
    }
    const p = this.project.templates[`templates/${clean}`];
    if (p !== undefined) return { path: clean, text: p, owner: 'playbook' };
    for (const dir of [dirname(from.file), join(dirname(from.file), 'templates')]) {
      const f = resolve(dir, clean);
      if (existsSync(f)) return { path: basename(clean), text: readFileSync(f, 'utf8'), owner: role ? 'role' : 'playbook' };
    }
    return undefined;
  }

  /**
   * Converts a template and writes it next to the generated file that renders it; returns
   * how the task reads it.
   */
  renderTemplate(ref: TemplateRef, scope: Scope, outDir: string, imports: Imports): RenderedTemplate {
    const moduleImports = new Imports();
    const c = convertTemplate(ref.text, scope, moduleImports);
    const stem = ref.path.replace(/\.j2$/, '');
    if (c.kind === 'hbs') {
      const rel = `templates/${stem}.hbs`;
      this.write(`${outDir}/${rel}`, c.text);
      const entries: [string, Code][] = c.vars.map(([n, v]) => [n, raw(v.code)]);
      return {
        kind: 'hbs',
        source: `{ src: new URL('./${rel}', import.meta.url) }`,
        vars: { code: obj(entries), ctx: c.vars.some(([, v]) => v.ctx), type: { k: 'any' } },
      };
    }
    const rel = `templates/${stem}.ts`;
    this.write(
      `${outDir}/${rel}`,
      `/** Ported from ${ref.path}: its {% if %}/{% for %} are TypeScript here (helix templates render content only). */\n${c.text}`,
    );
    // Several render functions in one file: each is imported under its own name.
    const local = imports.alias(`./${rel}`, 'render', `render${pascal(stem.replace(/\.[^.]+$/, ''))}`);
    const args: [string, Code][] = c.vars.map(([n, v]) => [n, raw(v.type.k === 'secret' ? asString(v).code : v.code)]);
    return { kind: 'ts', text: { code: { k: 'call', fn: local, args: [obj(args)] }, ctx: c.vars.some(([, v]) => v.ctx), type: { k: 'string' } } };
  }

  /** A file of the role's (or playbook's) `files/`, copied next to the generated file; returns a URL expression. */
  fileUrl(src: string, from: SourceTask, role: Role | undefined, outDir: string): string | undefined {
    if (/\{\{/.test(src)) return undefined;
    const candidates = [
      ...(role ? [join(role.dir, 'files', src)] : []),
      resolve(dirname(from.file), 'files', src),
      resolve(dirname(from.file), src),
      resolve(this.project.root, 'files', src),
    ];
    const found = candidates.find((f) => existsSync(f));
    if (!found) return undefined;
    // A folder is copied whole; its URL ends with `/` so the copy task takes its content.
    const dir = statSync(found).isDirectory();
    const rel = `files/${basename(src)}${dir ? '/' : ''}`;
    this.files.set(`${outDir}/${rel.replace(/\/$/, '')}`, { copyFrom: found });
    return `new URL('./${rel}', import.meta.url)`;
  }

  /** include_tasks/import_tasks: the role's tasks/ first, then relative to the including file. */
  includeFile(file: string, from: SourceTask, role: Role | undefined): SourceTask[] | undefined {
    if (role) {
      const stem = file.replace(/\.ya?ml$/, '').replace(/^tasks\//, '');
      const t = role.tasks[stem];
      if (t) return [...t];
    }
    for (const f of [resolve(dirname(from.file), file), resolve(this.project.root, file)]) {
      if (existsSync(f)) {
        try {
          return readTaskFile(f);
        } catch (error) {
          throw new Untranslatable('task-unreadable', (error as Error).message);
        }
      }
    }
    return undefined;
  }

  /** Code for a list of step names. */
  static steps(names: readonly string[]): Code {
    return arr(names.map(raw));
  }
}
