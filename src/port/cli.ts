import { existsSync } from 'node:fs';
import { ConfigError } from '../runtime/errors.ts';
import { formatReport, port } from './index.ts';

/**
 * Runs the port and prints the report (text, or JSON with `--json`). Exit code 0 when the
 * port ran, whatever its TODOs: the report says what is left; 1 when an input file could not
 * be read (malformed YAML): the report names each file and why, and the rest is ported.
 */
export function portCommand(
  input: string,
  o: { out: string; component?: string; json?: boolean },
  write: (s: string) => void = (s) => process.stdout.write(s),
): number {
  if (!existsSync(input)) throw new ConfigError(`no such file or folder: ${input}`, 'port');
  const { report } = port(input, o.out, o.component ? { component: o.component } : {});
  write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.problems.length ? 1 : 0;
}
