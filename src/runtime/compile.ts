/**
 * The user's TypeScript (components, playbooks, roles and what they import) compiled once with
 * esbuild into plain ESM, so a run imports it without a loader thread: no tsx, no hook round
 * trip per module (docs/decisions/006-user-code.md).
 *
 * Each file is transformed on its own, kept by mtime and size in a manifest, and its import
 * specifiers are resolved once, at compile time, with Node's ESM rules (import-meta-resolve):
 * - helix's own sources (`helix`, `helix/modules/k8s`, `../../src/index.ts`) become the
 *   precompiled modules the CLI already loaded, so there is one copy of the runtime;
 * - other TypeScript files become their compiled form (compiled in turn);
 * - packages, JSON and JavaScript files become their absolute URLs; `node:` stays.
 * `import.meta.url` keeps naming the source file, so paths next to it (templates) still work.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump when the compiled form changes, so old caches are rebuilt. */
const FORMAT = 1;

const TYPESCRIPT = /\.(?:ts|mts|cts|tsx)$/;

export interface CompileOptions {
  /** helix's package folder. */
  root: string;
  /** Where helix's own sources are compiled (`<root>/node_modules/.cache/helix/build`). */
  build: string;
  /** Where user code is compiled. @default `<root>/node_modules/.cache/helix/user` */
  cache?: string;
}

interface Manifest {
  format: number;
  /** Per source file: its mtime and size when compiled, and the TypeScript files it imports. */
  files: Record<string, { stamp: string; deps: string[] }>;
}

/** Thrown for code this compiler does not handle; the caller falls back to tsx. */
export class CompileUnsupported extends Error {}

function stampOf(file: string): string {
  const s = statSync(file);
  return `${s.mtimeMs}:${s.size}`;
}

function writeAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  // Written aside and renamed: a concurrent helix never reads half a file.
  writeFileSync(`${file}.${process.pid}`, text);
  renameSync(`${file}.${process.pid}`, file);
}

/** A compiler for one process: compile() returns the URL to import for a source file. */
export class UserCompiler {
  readonly #root: string;
  readonly #src: string;
  readonly #build: string;
  readonly #cache: string;
  readonly #manifestFile: string;
  #manifest: Manifest | undefined;
  /** Files already compiled or found fresh by this process. */
  readonly #looked = new Set<string>();
  #package: { name: string; exports?: Record<string, string> } | undefined;

  constructor(opts: CompileOptions) {
    this.#root = opts.root;
    this.#src = join(opts.root, 'src') + sep;
    this.#build = opts.build;
    this.#cache = opts.cache ?? join(opts.root, 'node_modules', '.cache', 'helix', 'user');
    this.#manifestFile = join(this.#cache, 'manifest.json');
  }

  /** The compiled module's URL for `file` (an absolute path), compiling what changed. */
  async compile(file: string): Promise<string> {
    const stale = this.#stale(file);
    if (stale.length > 0) {
      const { transformSync } = await import('esbuild');
      const lexer = await import('es-module-lexer');
      await lexer.init;
      const { resolve } = await import('import-meta-resolve');
      for (let f = stale.shift(); f !== undefined; f = stale.shift()) {
        for (const dep of this.#compileOne(f, transformSync, lexer.parse, resolve)) stale.push(...this.#stale(dep));
      }
      this.#save();
    }
    return pathToFileURL(this.#outPath(file)).href;
  }

  /**
   * The files to compile for `file`: itself when it changed, else whatever changed among what it
   * imports, through the manifest. Each file is looked at once per process: the playbooks of a
   * component share their roles and helpers.
   */
  #stale(file: string, out: string[] = []): string[] {
    if (this.#looked.has(file)) return out;
    this.#looked.add(file);
    const entry = this.#load().files[file];
    if (!entry || entry.stamp !== stampOf(file) || !existsSync(this.#outPath(file))) out.push(file);
    else for (const dep of entry.deps) this.#stale(dep, out);
    return out;
  }

  #outPath(file: string): string {
    return join(this.#cache, 'files', relative('/', file)).replace(TYPESCRIPT, '.mjs');
  }

  #load(): Manifest {
    if (this.#manifest) return this.#manifest;
    try {
      const m = JSON.parse(readFileSync(this.#manifestFile, 'utf8')) as Manifest;
      if (m.format === FORMAT) return (this.#manifest = m);
    } catch {
      // first run, or another format: compile everything
    }
    return (this.#manifest = { format: FORMAT, files: {} });
  }

  /** Saves the manifest after a compile, forgetting (and deleting the output of) sources that are gone. */
  #save(): void {
    const files = this.#load().files;
    for (const source of Object.keys(files)) {
      if (existsSync(source)) continue;
      delete files[source];
      rmSync(this.#outPath(source), { force: true });
    }
    writeAtomic(this.#manifestFile, JSON.stringify(this.#manifest));
  }

  /** Compiles one file and returns the TypeScript files it imports. */
  #compileOne(
    file: string,
    transformSync: typeof import('esbuild').transformSync,
    parse: typeof import('es-module-lexer').parse,
    resolve: typeof import('import-meta-resolve').resolve,
  ): string[] {
    const stamp = stampOf(file);
    const url = pathToFileURL(file).href;
    const { code } = transformSync(readFileSync(file, 'utf8'), {
      loader: file.endsWith('.tsx') ? 'tsx' : 'ts',
      format: 'esm',
      target: 'node20',
      sourcefile: file,
      tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
      define: { 'import.meta.url': JSON.stringify(url), 'import.meta.filename': JSON.stringify(file), 'import.meta.dirname': JSON.stringify(dirname(file)) },
    });
    const [imports] = parse(code);
    const deps: string[] = [];
    let out = '';
    let at = 0;
    for (const imp of imports) {
      if (imp.n === undefined) {
        // `import(someVariable)`: cannot be resolved ahead of time.
        if (imp.d > -1) throw new CompileUnsupported(`${file}: a dynamic import of a computed specifier`);
        continue;
      }
      const target = this.#mapSpecifier(imp.n, url, file, deps, resolve);
      if (target === imp.n) continue;
      const quoted = imp.d > -1 && /^["'`]/.test(code.slice(imp.s, imp.s + 1));
      out += code.slice(at, imp.s) + (quoted ? JSON.stringify(target) : target);
      at = imp.e;
    }
    out += code.slice(at);
    writeAtomic(this.#outPath(file), out);
    this.#load().files[file] = { stamp, deps };
    return deps;
  }

  /** `helix` or `helix/modules/k8s` through helix's package.json `exports`, or undefined. */
  #ownExport(spec: string): string | undefined {
    const pkg = (this.#package ??= JSON.parse(readFileSync(join(this.#root, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, string> });
    if (spec !== pkg.name && !spec.startsWith(`${pkg.name}/`)) return undefined;
    const sub = `.${spec.slice(pkg.name.length)}`;
    for (const [key, target] of Object.entries(pkg.exports ?? {})) {
      const [before, after] = key.split('*') as [string, string | undefined];
      if (after === undefined ? sub === key : sub.startsWith(before) && sub.endsWith(after) && sub.length >= key.length - 1) {
        const star = after === undefined ? '' : sub.slice(before.length, sub.length - after.length);
        const path = join(this.#root, target.replace('*', star));
        return existsSync(path) ? path : undefined;
      }
    }
    return undefined;
  }

  #mapSpecifier(spec: string, parent: string, file: string, deps: string[], resolve: typeof import('import-meta-resolve').resolve): string {
    if (spec.startsWith('node:') || isBuiltin(spec) || spec.startsWith('data:')) return spec;
    let url: string;
    try {
      url = resolve(spec, parent);
    } catch (error) {
      // `helix` itself resolves to the helix that runs the playbook, even from a project that
      // does not have it in its node_modules.
      const own = this.#ownExport(spec);
      if (!own) throw new CompileUnsupported(`${file}: cannot resolve "${spec}": ${(error as Error).message}`);
      url = pathToFileURL(own).href;
    }
    if (url.startsWith('file:') && !existsSync(fileURLToPath(url))) {
      // Relative specifiers are resolved without looking at the disk. TypeScript's own
      // convention: `./x.js` names `./x.ts`.
      const ts = url.endsWith('.js') ? url.replace(/\.js$/, '.ts') : undefined;
      if (!ts || !existsSync(fileURLToPath(ts))) throw new CompileUnsupported(`${file}: cannot resolve "${spec}": no such file`);
      url = ts;
    }
    if (!url.startsWith('file:')) return url;
    const path = fileURLToPath(url);
    if (!TYPESCRIPT.test(path)) return url;
    if (path.startsWith(this.#src)) {
      return pathToFileURL(join(this.#build, relative(this.#root, path)).replace(TYPESCRIPT, '.mjs')).href;
    }
    deps.push(path);
    return pathToFileURL(this.#outPath(path)).href;
  }
}
