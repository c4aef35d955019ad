import { T } from './ptype.ts';
import { PREC, quote, type Ts } from './jinja/code.ts';
import type { Binding, Hint, Scope } from './jinja/scope.ts';
import type { Imports } from './emit/imports.ts';
import { localName } from './emit/names.ts';
import { type Knowledge, MAGIC } from './vars.ts';

/** Names translation refuses on purpose (each has its own TODO reason in translate.ts). */
const REFUSED = (name: string): boolean => /^ansible_/.test(name) || name === 'hostvars' || name === 'omit';

/** `lookup('file', …)`: the file copied next to the generated code when the port found it. */
export type FileResolver = (path: string) => string | undefined;

function fileLookup(imports: Imports, files: FileResolver, path: Ts): Ts {
  const read = imports.named('node:fs', 'readFileSync');
  const url = path.literal !== undefined ? files(path.literal) : undefined;
  const where = url ?? path.code;
  // Ansible's file lookup strips the trailing newline.
  return { code: `${read}(${where}, 'utf8').trimEnd()`, prec: PREC.primary, type: T.string, ctx: path.ctx };
}

function envLookup(name: string): Ts {
  return { code: `(process.env.${/^[A-Za-z_]\w*$/.test(name) ? name : `[${quote(name)}]`} ?? '')`, prec: PREC.primary, type: T.string, ctx: false };
}

/**
 * The scope of a playbook builder: play variables (locals), Ansible's magic variables, and
 * the component's variables (`v.name`), which are created on first read: a name nothing
 * defines becomes a component variable that the inventory must give (and the report lists).
 */
export class PlaybookScope implements Scope {
  readonly #k: Knowledge;
  readonly #file: string;
  readonly #imports: Imports;
  readonly #locals: Map<string, Binding>;
  readonly #files: FileResolver;

  constructor(k: Knowledge, file: string, imports: Imports, locals: Map<string, Binding>, files: FileResolver) {
    this.#k = k;
    this.#file = file;
    this.#imports = imports;
    this.#locals = locals;
    this.#files = files;
  }

  lookup(name: string): Binding | undefined {
    const local = this.#locals.get(name);
    if (local) return local;
    const magic = MAGIC[name];
    if (magic) return magic;
    if (REFUSED(name)) return undefined;
    const v = this.#k.componentVar(name, this.#file);
    return { code: `v.${name}`, type: v.type, ...(v.optional ? { opt: true } : {}) };
  }

  peek(name: string): boolean {
    if (this.#locals.has(name)) return true;
    const v = this.#k.vars.get(name);
    return !!v && (v.defined || !!v.envSecret || !!v.derived);
  }

  note(name: string, hint: Hint): void {
    if (!this.#locals.has(name)) this.#k.hint('component', name, hint);
  }

  envLookup(name: string): Ts {
    return envLookup(name);
  }

  fileLookup(path: Ts): Ts {
    return fileLookup(this.#imports, this.#files, path);
  }

  use(from: string, name: string): string {
    return this.#imports.named(from, name);
  }
}

/**
 * The scope inside a role function: the role's vars (locals), then its parameters, which
 * are the destructured names of the signature. A name nothing defines becomes a required
 * parameter: roles have no ambient variables.
 */
export class RoleScope implements Scope {
  readonly #k: Knowledge;
  readonly #role: string;
  readonly #imports: Imports;
  readonly #locals: Map<string, Binding>;
  readonly #files: FileResolver;

  constructor(k: Knowledge, role: string, imports: Imports, locals: Map<string, Binding>, files: FileResolver) {
    this.#k = k;
    this.#role = role;
    this.#imports = imports;
    this.#locals = locals;
    this.#files = files;
  }

  lookup(name: string): Binding | undefined {
    const local = this.#locals.get(name);
    if (local) return local;
    const magic = MAGIC[name];
    if (magic && !magic.code.startsWith('env.')) return magic;
    if (REFUSED(name) || name === 'groups') return undefined;
    let params = this.#k.roleParams.get(this.#role);
    if (!params) this.#k.roleParams.set(this.#role, (params = new Map()));
    let p = params.get(name);
    if (!p) {
      p = { name, type: T.string, hasDefault: false, optional: false };
      params.set(name, p);
    }
    return { code: localName(name), type: p.type, ...(p.optional && !p.hasDefault ? { opt: true } : {}) };
  }

  peek(name: string): boolean {
    return this.#locals.has(name) || !!this.#k.roleParams.get(this.#role)?.has(name);
  }

  note(name: string, hint: Hint): void {
    if (!this.#locals.has(name)) this.#k.hint(`role:${this.#role}`, name, hint);
  }

  envLookup(name: string): Ts {
    return envLookup(name);
  }

  fileLookup(path: Ts): Ts {
    return fileLookup(this.#imports, this.#files, path);
  }

  use(from: string, name: string): string {
    return this.#imports.named(from, name);
  }
}
