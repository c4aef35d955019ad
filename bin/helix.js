#!/usr/bin/env node
// Start-up, fastest path first (docs/decisions/005-startup.md):
// 1. `--version` reads package.json and loads nothing else.
// 2. helix's own sources run precompiled: each src/**/*.ts is transformed once with esbuild into
//    node_modules/.cache/helix/build (kept per file by mtime and size), so Node loads plain ESM
//    without a loader thread. The user's TypeScript (components, playbooks, roles) is compiled the
//    same way into node_modules/.cache/helix/user (src/runtime/compile.ts), its imports of helix
//    mapped to the same compiled modules, so playbooks and the CLI share one copy of the runtime.
//    tsx is registered only for user code that compiler does not handle (docs/decisions/006).
// 3. Anything wrong with the cache (read-only install, HELIX_NO_BUILD_CACHE=1): tsx for everything.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

/** Bump when the compiled form changes, so old caches are rebuilt. */
const FORMAT = 1;

/** Compiles what changed under src/ and returns the build folder. Throws when it cannot. */
async function build() {
  const src = join(root, 'src');
  const out = join(root, 'node_modules', '.cache', 'helix', 'build');
  const manifestFile = join(out, 'manifest.json');
  let manifest = { format: FORMAT, files: {} };
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8'));
    if (m.format === FORMAT) manifest = m;
  } catch {
    // first run, or a cache from another format: build everything
  }
  const seen = {};
  const stale = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const s = statSync(p);
        const rel = relative(root, p).split(sep).join('/');
        seen[rel] = `${s.mtimeMs}:${s.size}`;
        if (manifest.files[rel] !== seen[rel]) stale.push(rel);
      }
    }
  };
  walk(src);
  const gone = Object.keys(manifest.files).filter((f) => !(f in seen));
  if (stale.length === 0 && gone.length === 0) return out;

  const { transformSync } = await import('esbuild');
  for (const rel of stale) {
    const file = join(root, rel);
    const url = pathToFileURL(file).href;
    const { code, map } = transformSync(readFileSync(file, 'utf8'), {
      loader: 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: file,
      sourcemap: 'external',
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
      // Paths relative to the source (package.json, templates) stay relative to the source.
      define: { 'import.meta.url': JSON.stringify(url), 'import.meta.filename': JSON.stringify(file), 'import.meta.dirname': JSON.stringify(dirname(file)) },
    });
    // esbuild prints every specifier double-quoted: `from "./x.ts"`, `import("./x.ts")`, `import "./x.ts"`.
    const js = code.replace(/((?:\bfrom|\bimport)\s*\(?\s*")(\.\.?\/[^"]*)\.ts(")/g, '$1$2.mjs$3');
    const target = join(out, rel.replace(/\.ts$/, '.mjs'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(`${target}.map`, map);
    // Written aside and renamed: a concurrent helix never reads half a file.
    writeFileSync(`${target}.${process.pid}`, `${js}//# sourceMappingURL=${target.split(sep).at(-1)}.map\n`);
    renameSync(`${target}.${process.pid}`, target);
  }
  for (const rel of gone) rmSync(join(out, rel.replace(/\.ts$/, '.mjs')), { force: true });
  writeFileSync(`${manifestFile}.${process.pid}`, JSON.stringify({ format: FORMAT, files: seen }));
  renameSync(`${manifestFile}.${process.pid}`, manifestFile);
  return out;
}

/** tsx for the user's TypeScript, and helix's own sources mapped to the modules already loaded. */
async function registerTypeScript(out) {
  const { register } = await import('tsx/esm/api');
  register();
  const { register: hooks } = await import('node:module');
  // Runs before tsx's hooks. Compiled modules and their relative imports need none of tsx's work.
  const redirect = `
    import { readFile } from 'node:fs/promises';
    let src, out;
    export function initialize(d) { src = d.src; out = d.out; }
    export async function resolve(specifier, context, next) {
      if (context.parentURL?.startsWith(out) && /^\\.\\.?\\//.test(specifier)) {
        return { url: new URL(specifier, context.parentURL).href, format: 'module', shortCircuit: true };
      }
      const r = await next(specifier, context);
      if (!r.url.startsWith(src) || !r.url.endsWith('.ts')) return r;
      return { url: out + r.url.slice(src.length, -3) + '.mjs', format: 'module', shortCircuit: true };
    }
    export async function load(url, context, next) {
      if (!url.startsWith(out)) return next(url, context);
      return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
    }`;
  hooks(`data:text/javascript,${encodeURIComponent(redirect)}`, {
    data: { src: pathToFileURL(join(root, 'src')).href, out: pathToFileURL(join(out, 'src')).href },
  });
}

async function loadMain() {
  if (process.env.HELIX_NO_BUILD_CACHE !== '1') {
    let out;
    try {
      out = await build();
    } catch (error) {
      if (process.env.HELIX_DEBUG) process.stderr.write(`helix: no build cache (${error.message}); running from source\n`);
    }
    if (out) {
      if (process.env.HELIX_DEBUG) process.setSourceMapsEnabled(true);
      const loader = await import(pathToFileURL(join(out, 'src', 'runtime', 'loader.mjs')).href);
      const { UserCompiler } = await import(pathToFileURL(join(out, 'src', 'runtime', 'compile.mjs')).href);
      loader.beforeUserImport(() => registerTypeScript(out), new UserCompiler({ root, build: out }));
      return (await import(pathToFileURL(join(out, 'src', 'cli', 'main.mjs')).href)).main;
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  process.stdout.write(`${pkg.version}\n`);
} else {
  const main = await loadMain();
  process.exitCode = await main(argv);
}
