import { Untranslatable } from './scope.ts';

/**
 * A Python regular expression as a JavaScript regex literal. The common syntax is shared;
 * named groups are renamed (`(?P<n>…)` → `(?<n>…)`), and what JavaScript lacks is refused.
 */
export function pyRegex(pattern: string, flags: string, extra: string): string {
  if (/\(\?P=/.test(pattern) || /\(\?[aiLmsux]+\)/.test(pattern) || /\\[AZz]/.test(pattern)) {
    throw new Untranslatable('jinja-filter', `regex "${pattern}" uses Python-only syntax`);
  }
  const js = pattern.replace(/\(\?P</g, '(?<').replace(/\//g, '\\/');
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
