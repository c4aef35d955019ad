import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One process run, measured by GNU time: wall, CPU and peak RSS of the whole process tree's leader. */
export interface Sample {
  wallMs: number;
  cpuMs: number;
  maxRssKb: number;
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Command {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

let counter = 0;

/** Runs a command under `/usr/bin/time -f` and returns what it measured. */
export function measure(cmd: Command): Promise<Sample> {
  const out = join(tmpdir(), `helix-bench-${process.pid}-${counter++}.time`);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M %x', ...cmd.argv], {
      cwd: cmd.cwd,
      env: { ...process.env, ...cmd.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const line = readFileSync(out, 'utf8').trim().split('\n').at(-1) ?? '';
        rmSync(out, { force: true });
        const [e, u, s, m, x] = line.split(' ').map(Number);
        resolve({
          wallMs: Math.round((e ?? 0) * 1000),
          cpuMs: Math.round(((u ?? 0) + (s ?? 0)) * 1000),
          maxRssKb: m ?? 0,
          exitCode: x ?? -1,
          stdout,
          stderr,
        });
      } catch (error) {
        reject(error);
      }
    });
  });
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

export interface Stats {
  medianMs: number;
  minMs: number;
  maxMs: number;
  cpuMedianMs: number;
  rssMaxKb: number;
  runs: number;
}

export function stats(samples: Sample[]): Stats {
  const wall = samples.map((s) => s.wallMs);
  return {
    medianMs: median(wall),
    minMs: Math.min(...wall),
    maxMs: Math.max(...wall),
    cpuMedianMs: median(samples.map((s) => s.cpuMs)),
    rssMaxKb: Math.max(...samples.map((s) => s.maxRssKb)),
    runs: samples.length,
  };
}
