import { T, zodType } from '../ptype.ts';
import { PREC, quote, type Ts } from '../jinja/code.ts';
import type { Binding, Hint, Scope } from '../jinja/scope.ts';
import { Untranslatable } from '../jinja/scope.ts';
import { translateString } from '../jinja/inline.ts';
import type { Generation } from '../generation.ts';
import { docComment, key } from './code.ts';
import { Imports } from './imports.ts';
import { localName, pascal } from './names.ts';
import { orderVars } from './playbook.ts';

/**
 * `component.ts`: the zod schema of every variable the playbooks read, typed from the
 * inventories' values (or from how they are used). Variables the inventory computes with
 * Jinja (`https://auth.{{ domain_name }}`) are optional and computed in a transform.
 */
export function emitComponent(gen: Generation, description: string): void {
  const imports = new Imports();
  const z = imports.named('zod', 'z');
  const defineComponent = imports.named('helix', 'defineComponent');
  // Computed variables first: what they read becomes a component variable too.
  const derivedNames = [...gen.k.vars.values()].filter((v) => v.derived).map((v) => v.name);
  const derived = orderVars(Object.fromEntries(derivedNames.map((n) => [n, gen.k.vars.get(n)!.derived]))).map(([n]) => n);
  const stmts: string[] = [];
  if (derived.length) {
    const scope = componentScope(gen, new Set(derived), imports);
    for (const n of derived) {
      try {
        const e: Ts = translateString(gen.k.vars.get(n)!.derived!, scope);
        stmts.push(`    const ${localName(n)} = v.${n} ?? ${e.prec <= PREC.nullish ? `(${e.code})` : e.code};`);
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
        stmts.push(`    // TODO(port): ${error.reason}: ${n}: ${error.message}`);
        stmts.push(`    const ${localName(n)} = v.${n};`);
      }
    }
  }
  const vars = [...gen.k.vars.values()].sort((a, b) => a.name.localeCompare(b.name));
  const lines: string[] = [];
  for (const v of vars) {
    let t = v.type.k === 'secret' ? `${imports.named('helix', 'secret')}()` : zodType(v.type);
    if (v.type.k !== 'secret' && /secret\(\)/.test(t)) imports.named('helix', 'secret');
    if (v.optional || v.derived) t += '.optional()';
    const why = v.envSecret
      ? `Secret from the environment variable ${v.envSecret} (inventory: \`{ secret: { env: ${v.envSecret} } }\`).`
      : v.derived
        ? `Computed when absent: ${v.derived}`
        : !v.defined
          ? 'TODO(port): read by the playbooks, defined nowhere in the Ansible sources.'
          : '';
    if (why) lines.push(docComment(why, '    '));
    lines.push(`    ${key(v.name)}: ${t},`);
  }
  let schema = `${z}\n  .object({\n${lines.join('\n')}\n  })`;
  if (derived.length) {
    schema += `\n  .transform((v) => {\n${stmts.join('\n')}\n    return { ...v, ${derived.map((n) => (localName(n) === n ? n : `${n}: ${localName(n)}`)).join(', ')} };\n  })`;
  }
  const name = pascal(gen.component);
  const text = [
    imports.print().replace(`import { ${z} } from 'zod';`, `import { z } from 'zod';`),
    `import { type VarsOf } from 'helix';`,
    '',
    docComment(`${description}\nWritten by helix port: the variables its playbooks read, typed from the Ansible inventory and group_vars.`),
    `const component = ${defineComponent}({`,
    `  name: '${gen.component}',`,
    `  description: ${quote(description)},`,
    `  vars: ${schema.replace(/\n/g, '\n  ')},`,
    '});',
    '',
    'export default component;',
    '',
    docComment(`The validated variables every ${gen.component} playbook receives.`),
    `export type ${name}Vars = VarsOf<typeof component>;`,
    '',
  ].join('\n');
  gen.write(`${gen.playbookDir()}/component.ts`, mergeHelixImport(text));
}

/** One `import { … } from 'helix'` line. */
function mergeHelixImport(text: string): string {
  const lines = text.split('\n');
  const helix = lines.filter((l) => / from 'helix';$/.test(l));
  if (helix.length < 2) return text;
  const names = new Set<string>();
  for (const l of helix) for (const n of /\{ (.*) \}/.exec(l)![1]!.split(', ')) names.add(n);
  const merged = `import { ${[...names].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, ''))).join(', ')} } from 'helix';`;
  let done = false;
  return lines
    .filter((l) => {
      if (!/ from 'helix';$/.test(l)) return true;
      if (done) return false;
      done = true;
      return true;
    })
    .map((l) => (/ from 'helix';$/.test(l) ? merged : l))
    .join('\n');
}

/** Inside the transform: computed variables are locals, the others are `v.name`. */
function componentScope(gen: Generation, derived: ReadonlySet<string>, imports: Imports): Scope {
  return {
    lookup: (n): Binding | undefined => {
      if (derived.has(n)) return { code: localName(n), type: T.string };
      const v = gen.k.componentVar(n, 'inventory');
      return { code: `v.${n}`, type: v.type, ...(v.optional ? { opt: true } : {}) };
    },
    note: (_n: string, _h: Hint) => {},
    envLookup: (n) => ({ code: `(process.env.${n} ?? '')`, prec: PREC.primary, type: T.string, ctx: false }),
    fileLookup: () => {
      throw new Untranslatable('jinja-lookup', "lookup('file') in an inventory variable");
    },
    use: (from, name) => imports.named(from, name),
  };
}
