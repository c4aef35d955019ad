/** The imports of one generated file, printed in a stable order. */
export class Imports {
  readonly #named = new Map<string, Set<string>>();
  readonly #types = new Map<string, Set<string>>();
  readonly #namespaces = new Map<string, string>();
  readonly #aliases = new Map<string, Map<string, string>>();

  /** `import { name } from 'from'`; returns the local name. */
  named(from: string, name: string): string {
    let s = this.#named.get(from);
    if (!s) this.#named.set(from, (s = new Set()));
    s.add(name);
    return name;
  }

  type(from: string, name: string): string {
    let s = this.#types.get(from);
    if (!s) this.#types.set(from, (s = new Set()));
    s.add(name);
    return name;
  }

  /** `import { name as local } from 'from'`. */
  alias(from: string, name: string, local: string): string {
    this.#named.get(from)?.delete(name);
    let m = this.#aliases.get(from);
    if (!m) this.#aliases.set(from, (m = new Map()));
    m.set(local, name);
    return local;
  }

  /** `import * as alias from 'from'`. */
  namespace(from: string, alias: string): string {
    this.#namespaces.set(from, alias);
    return alias;
  }

  has(from: string): boolean {
    return this.#named.has(from) || this.#namespaces.has(from) || this.#types.has(from);
  }

  print(): string {
    const order = (a: string, b: string): number => rank(a) - rank(b) || a.localeCompare(b);
    const froms = [...new Set([...this.#named.keys(), ...this.#types.keys(), ...this.#namespaces.keys(), ...this.#aliases.keys()])].sort(order);
    const lines: string[] = [];
    for (const from of froms) {
      const ns = this.#namespaces.get(from);
      if (ns) lines.push(`import * as ${ns} from '${from}';`);
      const named = [...(this.#named.get(from) ?? []), ...[...(this.#aliases.get(from) ?? [])].map(([local, name]) => `${name} as ${local}`)].sort();
      const types = [...(this.#types.get(from) ?? [])].filter((t) => !named.includes(t)).sort();
      const parts = [...named, ...types.map((t) => `type ${t}`)].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
      if (!parts.length) continue;
      if (!named.length) lines.push(`import type { ${types.join(', ')} } from '${from}';`);
      else lines.push(`import { ${parts.join(', ')} } from '${from}';`);
    }
    return lines.join('\n');
  }
}

function rank(from: string): number {
  if (from.startsWith('node:')) return 0;
  if (from === 'zod' || from === 'yaml') return 1;
  if (from === 'helix') return 2;
  if (from.startsWith('helix/')) return 3;
  return 4;
}
