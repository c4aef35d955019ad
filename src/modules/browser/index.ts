import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { TargetError } from '../../runtime/errors.ts';
import { cacheDir } from '../../runtime/paths.ts';

/**
 * A real browser for tests and test playbooks: Debian's Chromium, driven by playwright-core
 * (docs/decisions/008-browser.md). TLS is verified as a user's browser verifies it: the CAs
 * given are trusted through an NSS database of the browser's own (a HOME of its own), never by
 * turning certificate errors off.
 */
export interface BrowserOptions {
  /** PEM files of CAs to trust besides the system's (the sandbox CA). */
  caFiles?: readonly string[];
  /** @default HELIX_CHROMIUM, else /usr/bin/chromium */
  executablePath?: string;
  /** Chromium `--host-resolver-rules`, e.g. `MAP *.sandbox.test 10.213.7.2`. */
  hostResolverRules?: string;
}

export function chromiumPath(): string {
  const p = process.env.HELIX_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new TargetError('browser', `Chromium is not installed at ${p} (apt-get install chromium, or set HELIX_CHROMIUM)`);
  return p;
}

/** A HOME whose NSS database trusts the given CAs (made once per set of CAs). */
export function browserHome(caFiles: readonly string[]): string {
  const pems = caFiles.map((f) => readFileSync(f, 'utf8'));
  const digest = createHash('sha256').update(pems.join('\n')).digest('hex').slice(0, 16);
  const home = join(cacheDir(), 'browser', digest);
  const db = join(home, '.pki', 'nssdb');
  const done = join(home, '.complete');
  if (existsSync(done)) return home;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(db, { recursive: true });
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  caFiles.forEach((file, i) => execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-t', 'C,,', '-n', `helix-ca-${i}`, '-i', file]));
  writeFileSync(done, `${caFiles.join('\n')}\n`);
  return home;
}

/** Starts headless Chromium; close it when done (`await browser.close()`). */
export async function launchBrowser(opts: BrowserOptions = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const home = opts.caFiles?.length ? browserHome(opts.caFiles) : undefined;
  const args = ['--disable-dev-shm-usage', '--no-first-run', '--disable-gpu'];
  // Chromium refuses to run as root with its sandbox on; the tests run as root.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  if (opts.hostResolverRules) args.push(`--host-resolver-rules=${opts.hostResolverRules}`);
  return chromium.launch({
    executablePath: opts.executablePath ?? chromiumPath(),
    headless: true,
    args,
    env: { ...process.env, ...(home ? { HOME: home } : {}) },
    timeout: 60_000,
  });
}
