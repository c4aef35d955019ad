/**
 * POSIX shell quoting. Every argument of a command is quoted exactly once, here, by the
 * transport; no other code builds a command line by formatting strings.
 */

const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one argument for a POSIX shell (`sh`, `bash`, `dash`, `zsh`). */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) throw new TypeError('a command argument cannot contain a NUL byte');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every argument and joins them with spaces. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
