import { Untranslatable } from './scope.ts';

/**
 * A Python regular expression as a JavaScript regex literal. The common syntax is shared;
 * named groups are renamed (`(?P<n>…)` → `(?<n>…)`), and what JavaScript lacks is refused.
 */
export function pyRegex(pattern: string, flags: string, extra: string): string {
  if (/\(\?P=/.test(pattern) || /\(\?[aiLmsux]+\)/.test(pattern) || /\\[AZz]/.test(pattern)) {
    throw new Untranslatable('jinja-filter', `regex "${pattern}" uses Python-only syntax`);
  }
  // Line breaks and other control characters (a Jinja "\n" is a real newline by now) as escapes.
  const js = pattern
    .replace(/\(\?P</g, '(?<')
    .replace(/\//g, '\\/')
    .replace(/[\n\r\t\u2028\u2029]/g, (c) => ({ '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const all = [...new Set((flags + extra).split(''))].join('');
  return `/${js}/${all}`;
}

/** A Python replacement string (`\\1`, `\\g<name>`) in JavaScript form (`$1`, `$<name>`). */
export function pyReplacement(rep: string): string {
  return rep
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d+)/g, '$$$1');
}
