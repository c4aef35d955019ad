import { parseAllDocuments } from 'yaml';
import type { TaskContext } from '../../runtime/task.ts';
import type { KubeObject } from '../k8s/types.ts';
import { TemplateError } from './errors.ts';
import { renderTemplate } from './render.ts';
import type { TemplateSource } from './source.ts';

/**
 * Renders a template and parses the YAML into Kubernetes objects, for `k8s.apply`. Every
 * non-empty `---` document must be an object with `apiVersion`, `kind` and `metadata.name`
 * (a `kind: List` gives its items). Secrets in `vars` are rendered (a Secret manifest); their
 * values stay masked in every output because every Secret value is.
 *
 * With static `vars` it renders at once, so a playbook with an undefined variable fails
 * validation; with `vars` computed from earlier results it returns an input resolved at plan time.
 * Throws a {@link TemplateError}.
 */
export function manifests(source: TemplateSource, vars?: Record<string, unknown>): KubeObject[];
export function manifests(source: TemplateSource, vars: (ctx: TaskContext) => Record<string, unknown>): (ctx: TaskContext) => KubeObject[];
export function manifests(
  source: TemplateSource,
  vars: Record<string, unknown> | ((ctx: TaskContext) => Record<string, unknown>) = {},
): KubeObject[] | ((ctx: TaskContext) => KubeObject[]) {
  if (typeof vars === 'function') return (ctx) => renderManifests(source, vars(ctx));
  return renderManifests(source, vars);
}

/** Like {@link manifests}, for a template holding exactly one object. */
export function manifest(source: TemplateSource, vars?: Record<string, unknown>): KubeObject;
export function manifest(source: TemplateSource, vars: (ctx: TaskContext) => Record<string, unknown>): (ctx: TaskContext) => KubeObject;
export function manifest(
  source: TemplateSource,
  vars: Record<string, unknown> | ((ctx: TaskContext) => Record<string, unknown>) = {},
): KubeObject | ((ctx: TaskContext) => KubeObject) {
  const one = (v: Record<string, unknown>): KubeObject => {
    const rendered = renderTemplate(source, v);
    const objects = parse(rendered.name, rendered.text);
    if (objects.length !== 1) throw new TemplateError(rendered.name, [`renders ${objects.length} objects; manifest() takes exactly one (use manifests())`]);
    return objects[0]!;
  };
  if (typeof vars === 'function') return (ctx) => one(vars(ctx));
  return one(vars);
}

function renderManifests(source: TemplateSource, vars: Record<string, unknown>): KubeObject[] {
  const rendered = renderTemplate(source, vars);
  return parse(rendered.name, rendered.text);
}

function parse(name: string, text: string): KubeObject[] {
  const out: KubeObject[] = [];
  const issues: string[] = [];
  parseAllDocuments(text, { uniqueKeys: true }).forEach((doc, i) => {
    const n = i + 1;
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      issues.push(`document ${n}: rendered YAML is malformed${e.linePos ? ` (line ${e.linePos[0].line})` : ''}: ${e.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const items = isObject(value) && value.kind === 'List' && Array.isArray(value.items) ? (value.items as unknown[]) : [value];
    for (const item of items) {
      const missing = problemsOf(item);
      if (missing) issues.push(`document ${n}: ${missing}`);
      else out.push(item as KubeObject);
    }
  });
  if (issues.length) throw new TemplateError(name, issues);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function problemsOf(item: unknown): string | undefined {
  if (!isObject(item)) return 'is not an object';
  const absent = [
    typeof item.apiVersion !== 'string' && 'apiVersion',
    typeof item.kind !== 'string' && 'kind',
    !(isObject(item.metadata) && typeof item.metadata.name === 'string') && 'metadata.name',
  ].filter(Boolean);
  return absent.length ? `has no ${absent.join(', ')}` : undefined;
}
