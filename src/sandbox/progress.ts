import { mask } from '../runtime/secret.ts';

/**
 * Progress of `helix sandbox` on stderr, one plain line per event, so that stdout stays
 * clean for `helix sandbox env`. Secrets are masked on the way out.
 */
export type Reporter = (line: string) => void;

export const stderrReporter: Reporter = (line) => process.stderr.write(`${mask(line)}\n`);

export const silentReporter: Reporter = () => {};

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

/** Runs a long step, reporting its start and its duration (or its failure). */
export async function step<T>(report: Reporter, component: string, what: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  report(`sandbox: ${component}: ${what}…`);
  try {
    const result = await fn();
    report(`sandbox: ${component}: ${what}: done in ${formatDuration(Date.now() - t0)}`);
    return result;
  } catch (error) {
    report(`sandbox: ${component}: ${what}: failed after ${formatDuration(Date.now() - t0)}`);
    throw error;
  }
}
