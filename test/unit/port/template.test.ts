import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { T, type PType } from '../../../src/port/ptype.ts';
import { ts } from '../../../src/port/jinja/code.ts';
import type { Scope } from '../../../src/port/jinja/scope.ts';
import { Imports } from '../../../src/port/emit/imports.ts';
import { convertTemplate } from '../../../src/port/emit/template.ts';

const VARS: Record<string, [PType, unknown]> = {
  name: [T.string, 'web'],
  port: [T.number, 8080],
  hosts: [T.array(T.string), ['a.test', 'b.test']],
  labels: [T.object({ app: T.string, tier: T.string }), { app: 'web', tier: 'front' }],
  tls: [T.boolean, true],
};

const scope: Scope = {
  lookup: (n) => (VARS[n] ? { code: `v.${n}`, type: VARS[n][0] } : undefined),
  note: () => {},
  envLookup: (n) => ts(`process.env.${n}`, T.string),
  fileLookup: () => ts("''", T.string),
  use: (_from, n) => n,
};

const values = Object.fromEntries(Object.entries(VARS).map(([k, [, v]]) => [k, v]));

/** Renders a converted template the way helix would: Handlebars with the vars, or the render function. */
function render(source: string): { kind: string; out: string } {
  const c = convertTemplate(source, scope, new Imports());
  const v = values;
  const vars = Object.fromEntries(c.vars.map(([k, e]) => [k, new Function('v', `return ${e.code};`)(v) as unknown]));
  if (c.kind === 'hbs') {
    const hb = Handlebars.create();
    hb.registerHelper('json', (x: unknown) => JSON.stringify(x));
    hb.registerHelper('b64', (x: unknown) => Buffer.from(String(x)).toString('base64'));
    hb.registerHelper('indent', (n: number, x: unknown) =>
      String(x)
        .split('\n')
        .map((l, i) => (i === 0 || !l ? l : ' '.repeat(n) + l))
        .join('\n'),
    );
    return { kind: 'hbs', out: hb.compile(c.text, { noEscape: true, strict: true })(vars) };
  }
  // The render module without its type annotations.
  const js = c.text.replace(/^export function render\([^)]*\): string \{/m, 'return (function (t) {').replace(/\}\n$/, '})(vars);');
  return { kind: 'ts', out: new Function('vars', js)(vars) as string };
}

describe('.j2 templates', () => {
  it.each([
    // [template, kind, exact output Jinja gives with Ansible's trim_blocks]
    ['name: {{ name }}\nport: {{ port }}\n', 'hbs', 'name: web\nport: 8080\n'],
    ['app: {{ labels.app }}\n', 'hbs', 'app: web\n'],
    ['hosts: {{ hosts | to_json }}\n', 'hbs', 'hosts: ["a.test","b.test"]\n'],
    ['upper: {{ name | upper }}\n', 'hbs', 'upper: WEB\n'],
    ['literal braces {% raw %}{{ x }}{% endraw %} end\n', 'hbs', 'literal braces {{ x }} end\n'],
    ['{% if tls %}\nssl on;\n{% endif %}\nend\n', 'ts', 'ssl on;\nend\n'],
    ['{% if not tls %}\nssl off;\n{% else %}\nssl on;\n{% endif %}\n', 'ts', 'ssl on;\n'],
    ['servers:\n{% for h in hosts %}\n  - {{ h }}\n{% endfor %}\n', 'ts', 'servers:\n  - a.test\n  - b.test\n'],
    // trim_blocks without lstrip_blocks: the indentation before a tag stays, the newline after it goes.
    ['  {% for h in hosts %}\n{{ loop.index }}={{ h }}\n  {% endfor %}\n', 'ts', '  1=a.test\n  2=b.test\n  '],
    ['{%- for k, v in labels.items() -%} {{ k }}={{ v }};{%- endfor %}\n', 'ts', 'app=web;tier=front;'],
    ['{% set full = name ~ ":" ~ port %}\nlisten {{ full }}\n', 'ts', 'listen web:8080\n'],
  ])('%j', (source, kind, expected) => {
    const r = render(source);
    expect(r.kind).toBe(kind);
    expect(r.out).toBe(expected);
  });

  it('refuses what it cannot carry over', () => {
    expect(() => convertTemplate('{% macro m() %}x{% endmacro %}', scope, new Imports())).toThrow(/macro/);
  });
});
