import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { frame, PRELUDE, STDIN_MARKER } from '../../../src/modules/ssh/command.ts';
import { quoteArgv, shellQuote } from '../../../src/modules/ssh/quote.ts';
import { Secret } from '../../../src/runtime/secret.ts';

describe('shellQuote', () => {
  it.each([
    ['plain', 'plain'],
    ['/etc/hosts', '/etc/hosts'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", `'it'\\''s'`],
    ['$HOME', "'$HOME'"],
    ['a;rm -rf /', "'a;rm -rf /'"],
    ['`x`', "'`x`'"],
  ])('%j -> %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });

  it('round-trips through a real shell', () => {
    const args = ['a b', "it's", '$HOME', '"q"', '\\n', 'line\nbreak', '*', '', '-e', 'ünï'];
    const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${quoteArgv(args)}`]).toString('utf8');
    expect(out.split('\0').slice(0, -1)).toEqual(args);
  });

  it('rejects NUL bytes', () => {
    expect(() => shellQuote('a\0b')).toThrow(/NUL/);
  });
});

describe('frame', () => {
  it('puts env values and become passwords on stdin, never on the command line', () => {
    const pw = new Secret('s3cr3t-become-pw');
    const f = frame({ argv: ['env'], env: { TOKEN: new Secret('tok-value-123'), PLAIN: 'x' }, become: { user: 'root' } }, pw);
    expect(f.line).not.toContain('s3cr3t-become-pw');
    expect(f.line).not.toContain('tok-value-123');
    expect(f.line.startsWith("sudo -H -S -p '' -u root -- sh -c ")).toBe(true);
    expect(f.stdin.toString()).toBe(`s3cr3t-become-pw\n${STDIN_MARKER}\nTOKEN=tok-value-123\nPLAIN=x\n\n`);
  });

  it('uses sudo -n when there is no password', () => {
    expect(frame({ argv: ['id'], become: {} }).line.startsWith('sudo -H -n -u root -- ')).toBe(true);
  });

  it('rejects multi-line env values and bad names', () => {
    expect(() => frame({ argv: ['x'], env: { A: 'a\nb' } })).toThrow(/single line/);
    expect(() => frame({ argv: ['x'], env: { 'A-B': 'a' } })).toThrow(/invalid variable name/);
  });

  it('runs through sh: drops unread lines before the marker, exports env, changes dir, passes stdin on', () => {
    const f = frame({ argv: ['sh', '-c', 'printf "%s|%s|" "$A" "$(pwd)"; cat'], env: { A: "x y 'z'" }, cwd: '/tmp', stdin: 'rest of stdin' });
    const input = Buffer.concat([Buffer.from('unread-password\n'), f.stdin]);
    const out = execFileSync('/bin/sh', ['-c', f.line], { input }).toString();
    expect(out).toBe("x y 'z'|/tmp|rest of stdin");
    expect(PRELUDE).not.toContain('\0');
  });
});
