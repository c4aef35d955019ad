#!/usr/bin/env node
// Start-up (docs/decisions/048-native-typescript.md): Node 24 runs helix's TypeScript as it is, by
// stripping the types; nothing is compiled ahead of time and no loader thread is started.
// 1. `--version` reads package.json and loads nothing else.
// 2. Node's module compile cache (node_modules/.cache/helix/v8) keeps each module's stripped and
//    compiled form between runs, so a run after the first parses nothing again.
// 3. The user's TypeScript (components, playbooks, roles) is imported the same way, by
//    src/runtime/loader.ts, which also lets it import `helix` by name from any project folder.
import module from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Node 24 is the floor (docs/decisions/047-node-24.md). Started by an older node (a machine whose
// own is 20), helix runs again on the Node 24 that `scripts/setup.sh install` linked into
// node_modules/.bin. Ctrl-C reaches both processes (one process group): this one ignores SIGINT,
// so the play still stops after the current task; SIGTERM and SIGHUP are passed on.
if (Number(process.versions.node.split('.')[0]) < 24) {
  const node24 = join(root, 'node_modules', '.bin', 'node');
  const { existsSync } = await import('node:fs');
  if (!existsSync(node24)) {
    process.stderr.write(`helix needs Node.js 24 or newer (this is ${process.version}): run \`bash scripts/setup.sh install\`\n`);
    process.exit(2);
  }
  const { spawn } = await import('node:child_process');
  const child = spawn(node24, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', () => {});
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);
  const [code, signal] = await new Promise((done) => child.on('exit', (c, s) => done([c, s])));
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  // A cache that cannot be written (a read-only install) is skipped by Node; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  module.enableCompileCache(join(root, 'node_modules', '.cache', 'helix', 'v8'));
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(argv);
}
