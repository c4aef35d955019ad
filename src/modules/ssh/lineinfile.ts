/** What `ssh.line` wants of one line of a text file (Ansible's lineinfile). */
export interface LineWish {
  /** The line (without its newline). */
  line?: string;
  /** Lines matching this are replaced by `line` (the last match), or removed with state absent. */
  regexp?: RegExp;
  /** @default 'present' */
  state?: 'present' | 'absent';
  /** Where a missing line goes: `'EOF'` (default) or after the last line matching a RegExp. */
  insertAfter?: 'EOF' | RegExp;
  /** Or before the last line matching a RegExp, or `'BOF'`. */
  insertBefore?: 'BOF' | RegExp;
}

function lastIndex(lines: readonly string[], re: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]!)) return i;
  return -1;
}

function test(re: RegExp): RegExp {
  // A global or sticky RegExp keeps state between test() calls: use a plain copy.
  return new RegExp(re.source, re.flags.replace(/[gy]/g, ''));
}

/**
 * Applies a line wish to a file's text and returns the new text (equal to the input when
 * nothing needs to change). `undefined` content means the file does not exist.
 */
export function editLines(content: string | undefined, wish: LineWish): string {
  const text = content ?? '';
  const endsWithNewline = text.endsWith('\n');
  const lines = text === '' ? [] : (endsWithNewline ? text.slice(0, -1) : text).split('\n');
  const regexp = wish.regexp ? test(wish.regexp) : undefined;
  const join = (out: string[]): string => (out.length === 0 ? '' : `${out.join('\n')}\n`);

  if ((wish.state ?? 'present') === 'absent') {
    const kept = lines.filter((l) => !(regexp ? regexp.test(l) : l === wish.line));
    return kept.length === lines.length ? text : join(kept);
  }
  const line = wish.line ?? '';
  if (regexp) {
    const i = lastIndex(lines, regexp);
    if (i >= 0) {
      if (lines[i] === line) return text;
      const out = [...lines];
      out[i] = line;
      return endsWithNewline ? join(out) : out.join('\n');
    }
  }
  if (lines.includes(line)) return text;
  const out = [...lines];
  if (wish.insertBefore === 'BOF') out.unshift(line);
  else if (wish.insertBefore instanceof RegExp) {
    const i = lastIndex(out, test(wish.insertBefore));
    out.splice(i >= 0 ? i : out.length, 0, line);
  } else if (wish.insertAfter instanceof RegExp) {
    const i = lastIndex(out, test(wish.insertAfter));
    out.splice(i >= 0 ? i + 1 : out.length, 0, line);
  } else out.push(line);
  return join(out);
}
