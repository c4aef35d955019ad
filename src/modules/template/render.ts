import Handlebars from 'handlebars';
import { checkTemplate } from './check.ts';
import { TemplateError } from './errors.ts';
import { HELPERS } from './helpers.ts';
import { loadTemplate, type LoadedTemplate, type TemplateSource } from './source.ts';
import { templateContext } from './vars.ts';

/** An isolated Handlebars environment holding only helix's helpers. */
const hb = Handlebars.create();
for (const [name, fn] of Object.entries(HELPERS)) {
  // Handlebars appends its `options` object to the arguments; the helpers take values only.
  hb.registerHelper(name, (...args: unknown[]) => (fn as (...a: unknown[]) => string)(...args.slice(0, -1)));
}

const COMPILE_OPTIONS = {
  strict: true,
  noEscape: true,
  knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((h) => [h, true])),
  knownHelpersOnly: true,
};

type Program = ReturnType<typeof hb.parse>;

const parsed = new Map<string, Program>();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

function parse(t: LoadedTemplate): Program {
  let program = parsed.get(t.text);
  if (!program) {
    try {
      program = hb.parse(t.text);
    } catch (error) {
      throw new TemplateError(t.name, [`syntax error: ${summarize(error)}`]);
    }
    parsed.set(t.text, program);
  }
  return program;
}

/** What a render produced. */
export interface Rendered {
  /** The template's name in messages: its path, or the inline name. */
  name: string;
  text: string;
  /** True when a Secret was rendered: the text must be handled as secret (no diffs, mode 0600). */
  hasSecrets: boolean;
}

/**
 * Checks a template without variables: syntax, control flow and helpers. Validation uses it
 * when the variables are only known at run time. Throws a {@link TemplateError}.
 */
export function checkSource(source: TemplateSource): void {
  const t = loadTemplate(source);
  const issues = checkTemplate(parse(t));
  if (issues.length) throw new TemplateError(t.name, issues);
}

/**
 * Renders a template strictly: every variable must be defined in `vars` (an error names the
 * template, the variable and its position), only the helpers `b64`, `json`, `yaml`,
 * `indent` and `quote` exist, and blocks and partials are rejected: templates render
 * content, TypeScript decides. Output is not HTML-escaped. Secrets in `vars` are rendered as
 * their values; see {@link Rendered.hasSecrets}. Throws a {@link TemplateError}.
 */
export function renderTemplate(source: TemplateSource, vars: Record<string, unknown> = {}): Rendered {
  const t = loadTemplate(source);
  const program = parse(t);
  const { context, hasSecrets } = templateContext(vars);
  const issues = checkTemplate(program, context);
  if (issues.length) throw new TemplateError(t.name, issues);
  let fn = compiled.get(t.text);
  if (!fn) {
    fn = hb.compile(program, COMPILE_OPTIONS);
    compiled.set(t.text, fn);
  }
  try {
    return { name: t.name, text: fn(context), hasSecrets };
  } catch (error) {
    // The checks above find undefined variables first; strict mode is the backstop.
    const undef = /^"(.+)" not defined/.exec(error instanceof Error ? error.message : '');
    throw new TemplateError(t.name, [undef ? `undefined variable "${undef[1]}"` : summarize(error)]);
  }
}

/** Renders a template to a string. See {@link renderTemplate} for the rules. */
export function render(source: TemplateSource, vars: Record<string, unknown> = {}): string {
  return renderTemplate(source, vars).text;
}

function summarize(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').filter((l) => l.trim() && !/^[-\s^]*$/.test(l));
  return lines.length > 1 ? `${lines[0]} ${lines[lines.length - 1]}` : (lines[0] ?? 'unknown error');
}
