/** Task names, identifiers and file names derived from Ansible names, unique where needed. */

const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in ' +
    'instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface ' +
    'package private protected public await as async of env ctx v p group block definePlaybook z ' +
    // Names generated files import: module namespaces, helix and lib functions.
    'k8s exec ssh http helm keycloak template git github postgres debug check pause waitForPort ConfigError Secret render'
  ).split(' '),
);

/** `Ensure the namespace exists` → `ensure-the-namespace-exists` (a stable task name). */
export function slug(text: string, max = 60): string {
  const s = text
    .replace(/\{\{.*?\}\}/g, ' ')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  return cut.slice(0, cut.lastIndexOf('-') > 20 ? cut.lastIndexOf('-') : max).replace(/-+$/, '');
}

/** `ensure-the-namespace` → `ensureTheNamespace`; never a reserved word. */
export function camel(text: string): string {
  const parts = text.split(/[^A-Za-z0-9]+/).filter(Boolean);
  let s = parts.map((p, i) => (i === 0 ? p.charAt(0).toLowerCase() + p.slice(1) : p.charAt(0).toUpperCase() + p.slice(1))).join('');
  if (!s) s = 'step';
  if (/^\d/.test(s)) s = `_${s}`;
  return RESERVED.has(s) ? `${s}_` : s;
}

export function pascal(text: string): string {
  const c = camel(text).replace(/_$/, '');
  return c.charAt(0).toUpperCase() + c.slice(1);
}

/** A variable name usable as a local binding (Ansible names are identifiers; reserved words get `_`). */
export function localName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_$]/g, '_');
  return RESERVED.has(s) || /^\d/.test(s) ? `${s}_` : s;
}

/** Hands out names unique within one scope. */
export class Names {
  readonly #used = new Set<string>();

  constructor(taken: Iterable<string> = []) {
    for (const t of taken) this.#used.add(t);
  }

  take(wanted: string, sep = ''): string {
    let name = wanted;
    for (let i = 2; this.#used.has(name); i++) name = `${wanted}${sep}${i}`;
    this.#used.add(name);
    return name;
  }

  has(name: string): boolean {
    return this.#used.has(name);
  }

  /** A copy, to take a name as if what was taken after it had not been. */
  copy(): Names {
    return new Names(this.#used);
  }
}
