/**
 * Ansible's free-form argument syntax: `src=a.j2 dest="/etc/x y" mode=0644`, and the command
 * line with trailing `creates=… chdir=…` for command/shell. Quotes and `{{ … }}` group words.
 */

/** Splits on whitespace outside quotes and Jinja delimiters, keeping quotes in the words. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const two = s.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) {
      depth++;
      cur += two;
      i++;
      continue;
    }
    if (!quote && depth > 0 && (two === '}}' || two === '%}')) {
      depth--;
      cur += two;
      i++;
      continue;
    }
    if (quote) {
      if (c === '\\' && i + 1 < s.length) {
        cur += c + s[i + 1];
        i++;
        continue;
      }
      if (c === quote) quote = '';
      cur += c;
      continue;
    }
    if ((c === '"' || c === "'") && depth === 0) {
      quote = c;
      cur += c;
      continue;
    }
    if (/\s/.test(c) && depth === 0) {
      if (cur) out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur) out.push(cur);
  return out;
}

export function unquote(s: string): string {
  const m = /^(['"])([\s\S]*)\1$/.exec(s);
  if (!m) return s;
  return m[1] === '"' ? m[2]!.replace(/\\(["\\])/g, '$1') : m[2]!;
}

/**
 * Parses `key=value` words. With `checkRaw`, words that are not `key=value` with an allowed key
 * form the command line (`_raw_params`), as Ansible does for command and shell.
 */
export function parseKv(s: string, checkRaw?: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const raw: string[] = [];
  for (const word of splitArgs(s)) {
    const m = /^([A-Za-z_][\w]*)=([\s\S]*)$/.exec(word);
    if (m && (!checkRaw || checkRaw.has(m[1]!))) out[m[1]!] = unquote(m[2]!);
    else raw.push(word);
  }
  if (raw.length) {
    if (!checkRaw) out._raw_params = raw.join(' ');
    else {
      // Keep the original spacing of the command line: it may matter to the shell.
      const kvs = Object.keys(out).length;
      out._raw_params = kvs ? raw.join(' ') : s.trim();
    }
  }
  return out;
}
