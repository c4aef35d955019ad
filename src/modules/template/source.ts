import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TemplateError } from './errors.ts';

/**
 * Where a template comes from: a file (an absolute path, or `new URL('./cm.yaml.hbs',
 * import.meta.url)` next to the playbook), or inline text with a name for messages.
 */
export type TemplateSource = { src: string | URL; text?: never } | { text: string; name?: string; src?: never };

/** A template's text and the name messages use for it. */
export interface LoadedTemplate {
  name: string;
  text: string;
}

/** The name a source is known by in messages, without reading it. */
export function templateName(source: TemplateSource): string {
  if (source.src !== undefined) {
    const file = source.src instanceof URL ? fileURLToPath(source.src) : source.src;
    const rel = relative(process.cwd(), file);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
  }
  return source.name ?? 'inline template';
}

/** Reads a template source. A file must be given by absolute path or `file:` URL. */
export function loadTemplate(source: TemplateSource): LoadedTemplate {
  const name = templateName(source);
  if (source.src === undefined) {
    if (typeof source.text !== 'string') throw new TemplateError(name, ['give src (a file) or text']);
    return { name, text: source.text };
  }
  const file = source.src instanceof URL ? fileURLToPath(source.src) : source.src;
  if (!isAbsolute(file)) {
    throw new TemplateError(name, [`src is relative: give an absolute path or new URL('./${file}', import.meta.url)`]);
  }
  try {
    return { name, text: readFileSync(file, 'utf8') };
  } catch (error) {
    throw new TemplateError(name, [`cannot read the template: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
}
