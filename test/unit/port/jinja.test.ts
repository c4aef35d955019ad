import { describe, expect, it } from 'vitest';
import { T, type PType } from '../../../src/port/ptype.ts';
import { lit, ts } from '../../../src/port/jinja/code.ts';
import { translateString } from '../../../src/port/jinja/inline.ts';
import { parseExpression } from '../../../src/port/jinja/parser.ts';
import type { Binding, Hint, Scope } from '../../../src/port/jinja/scope.ts';
import { Untranslatable } from '../../../src/port/jinja/scope.ts';
import { translate, translateCondition } from '../../../src/port/jinja/translate.ts';

const VARS: Record<string, PType> = {
  name: T.string,
  ns: T.string,
  count: T.number,
  enabled: T.boolean,
  items: T.array(T.string),
  ports: T.array(T.object({ name: T.string, port: T.number })),
  labels: T.object({ app: T.string }),
  password: T.secret,
  data: T.any,
};

function scope(notes: [string, Hint][] = [], imports: string[] = []): Scope {
  return {
    lookup: (n): Binding | undefined => {
      if (n === 'token') {
        return {
          code: 'ctx.result(getToken)',
          type: T.any,
          ctx: true,
          member: (m) => (m === 'json' ? { code: 'ctx.result(getToken).json', type: T.any, ctx: true } : undefined),
        };
      }
      const t = VARS[n];
      return t ? { code: `v.${n}`, type: t } : undefined;
    },
    note: (n, h) => notes.push([n, h]),
    envLookup: (n) => ts(`(process.env.${n} ?? '')`, T.string),
    fileLookup: (p) => ts(`readFileSync(${p.code}, 'utf8')`, T.string),
    use: (from, n) => {
      imports.push(`${from}:${n}`);
      return n;
    },
  };
}

const tr = (src: string): string => translate(parseExpression(src), scope()).code;

describe('Jinja2 expressions → TypeScript', () => {
  it.each([
    // variables, attributes, indexes
    ['name', 'v.name'],
    ['labels.app', 'v.labels.app'],
    ["labels['app']", 'v.labels.app'],
    ['ports[0].port', 'v.ports[0]?.port'],
    ['items[-1]', 'v.items.at(-1)'],
    ['data.a.b', 'v.data.a.b'],
    ['token.json.access_token', 'ctx.result(getToken).json.access_token'],
    // literals and operators
    ["'a' ~ name ~ '-x'", '`a${v.name}-x`'],
    ['count + 1', 'v.count + 1'],
    ["name + '-svc'", '`${v.name}-svc`'],
    ['count // 2', 'Math.floor(v.count / 2)'],
    ["name == 'x' and enabled", "v.name === 'x' && v.enabled"],
    ['not enabled', '!v.enabled'],
    ["'a' if enabled else 'b'", "v.enabled ? 'a' : 'b'"],
    ['name in items', 'v.items.includes(v.name)'],
    ["'app' in labels", "'app' in v.labels"],
    ["name not in ['a', 'b']", "!['a', 'b'].includes(v.name)"],
    ['count == "3"', "String(v.count) === '3'"],
    ['[1, 2] + [3]', '[...[1, 2], ...[3]]'],
    ["{'a': name, 'b-c': 1}", "{ a: v.name, 'b-c': 1 }"],
    // filters
    ["name | default('x')", "v.name ?? 'x'"],
    ["name | default('x', true)", "v.name || 'x'"],
    ["items | intersect(['a', 'b'])", "[...new Set(v.items.filter((x) => ['a', 'b'].includes(x)))]"],
    ["(data | intersect(items)) or ['z']", "((l) => (l.length > 0 ? l : ['z']))([...new Set(v.data.filter((x: any) => v.items.includes(x)))])"],
    ["items or ['z']", "((l) => (l.length > 0 ? l : ['z']))(v.items)"],
    ["items | difference(['a'])", "[...new Set(v.items.filter((x) => !['a'].includes(x)))]"],
    ["items | product(['x', 'y']) | list", "v.items.flatMap((x) => ['x', 'y'].map((y) => [x, y] as const))"],
    // a value that is never undefined keeps no default (tsc refuses `?? x` after it)
    ['[1] | default([])', '[1]'],
    ["{'a': 1} | default({})", '{ a: 1 }'],
    ['true | default(false)', 'true'],
    ["('-x ' ~ name) | default('')", '`-x ${v.name}`'],
    ['name | b64encode', "Buffer.from(v.name).toString('base64')"],
    ['name | b64decode', "Buffer.from(v.name, 'base64').toString('utf8')"],
    ['labels | to_json', 'JSON.stringify(v.labels)'],
    ['name | from_json', 'JSON.parse(v.name)'],
    ['items | length', 'v.items.length'],
    ['labels | length', 'Object.keys(v.labels).length'],
    ['items | first', 'v.items[0]'],
    ['items | last', 'v.items.at(-1)'],
    ["items | join(',')", "v.items.join(',')"],
    ["items == ['a']", "JSON.stringify(v.items) === JSON.stringify(['a'])"],
    ['ansible_date_time.epoch', 'String(Math.floor(Date.now() / 1000))'],
    ['ansible_date_time.iso8601', "new Date().toISOString().replace(/\\.\\d+Z$/, 'Z')"],
    ['name | lower', 'v.name.toLowerCase()'],
    ['name | upper', 'v.name.toUpperCase()'],
    ["name | replace('.', '-')", "v.name.replaceAll('.', '-')"],
    ["name | regex_replace('^(\\\\w+)-(?P<n>\\\\d+)$', '\\\\1')", "v.name.replace(/^(\\w+)-(?<n>\\d+)$/g, '$1')"],
    ["name | regex_search('v[0-9]+')", 'v.name.match(/v[0-9]+/)?.[0]'],
    ["name | regex_replace('\\n$', '')", "v.name.replace(/\\n$/g, '')"],
    ['enabled | bool', 'v.enabled'],
    ['data | bool', "['true', 'yes', 'on', '1'].includes(String(v.data).toLowerCase())"],
    ['name | int', '(Number.parseInt(v.name, 10) || 0)'],
    ['name | trim', 'v.name.trim()'],
    ["labels | combine({'tier': 'web'})", "{ ...v.labels, ...{ tier: 'web' } }"],
    ['labels | dict2items', 'Object.entries(v.labels).map(([key, value]) => ({ key, value }))'],
    ['data | items2dict', 'Object.fromEntries(v.data.map((i) => [i.key, i.value]))'],
    ["ports | map(attribute='name') | list", 'v.ports.map((x) => x.name)'],
    ["ports | selectattr('port', 'equalto', 80) | list", 'v.ports.filter((x) => x.port === 80)'],
    ['labels | to_yaml', 'stringify(v.labels)'],
    // tests
    ['name is defined', 'v.name !== undefined'],
    ['name is undefined', 'v.name === undefined'],
    ['name is not defined', '!(v.name !== undefined)'],
    ["name is match('^a')", '/^(?:^a)/.test(v.name)'],
    // lookups
    ["lookup('env', 'HOME')", "(process.env.HOME ?? '')"],
    ["lookup('file', 'files/key.pub')", "readFileSync('files/key.pub', 'utf8')"],
    ["lookup('env', 'HOME') ~ '/.kube'", "`${(process.env.HOME ?? '')}/.kube`"],
    // secrets are revealed only where text is built
    ["'Bearer ' ~ password", '`Bearer ${v.password.reveal()}`'],
    ['password', 'v.password'],
  ])('%s', (src, expected) => {
    expect(tr(src)).toBe(expected);
  });

  it.each([
    ['enabled', 'v.enabled'],
    ['items', 'v.items.length > 0'],
    ['name', 'Boolean(v.name)'],
    ["name != ''", "v.name !== ''"],
    ['{{ enabled }}', 'v.enabled'],
  ])('condition %s', (src, expected) => {
    expect(translateCondition(src, scope()).code).toBe(expected);
  });

  it.each([
    ['plain', "'plain'"],
    ['{{ name }}', 'v.name'],
    ['{{ items }}', 'v.items'],
    ['https://{{ name }}.{{ ns }}.svc:{{ count }}/', '`https://${v.name}.${v.ns}.svc:${v.count}/`'],
    ['a{% if enabled %}-on{% endif %}', "`a${v.enabled ? '-on' : ''}`"],
    [
      '{%- if enabled -%}\n  {{ items }}\n{%- else -%}\n  {{ ports | map(attribute="name") | list }}\n{%- endif -%}',
      'v.enabled ? v.items : v.ports.map((x) => x.name)',
    ],
    ['{% if enabled %}{{ name }}{% else %}{{ ns }}{% endif %}', 'v.enabled ? v.name : v.ns'],
    ['{% for i in items %}{{ i }},{% endfor %}', "v.items.map(i => `${i},`).join('')"],
    ['{% for p in ports %}{{ loop.index }}={{ p.port }} {% endfor %}', "v.ports.map((p, i, all) => `${i + 1}=${p.port} `).join('')"],
  ])('string value %s', (src, expected) => {
    expect(translateString(src, scope()).code).toBe(expected);
  });

  it('marks registered results as needing the task context', () => {
    expect(translate(parseExpression('token.json.access_token'), scope()).ctx).toBe(true);
    expect(translate(parseExpression('name'), scope()).ctx).toBe(false);
  });

  it('records what uses say about variables', () => {
    const notes: [string, Hint][] = [];
    const s = scope(notes);
    translate(parseExpression("name | default('x')"), s);
    translate(parseExpression('count is defined'), s);
    expect(notes).toEqual([
      ['name', 'optional'],
      ['count', 'optional'],
    ]);
  });

  it.each([
    ['name | password_hash("sha512")', 'jinja-filter'],
    ['name | quote', 'jinja-filter'],
    ['result is changed', 'register-status'],
    ['ansible_default_ipv4.address', 'gathered-facts'],
    ['ansible_date_time.weekday_number', 'register-attribute'],
    ["hostvars['x'].y", 'hostvars'],
    ["lookup('password', '/dev/null')", 'jinja-lookup'],
    ['token.stdout', 'register-attribute'],
    ['name |', 'jinja-syntax'],
  ])('%s is a TODO (%s)', (src, reason) => {
    let caught: unknown;
    try {
      translateCondition(src, scope());
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Untranslatable);
    expect((caught as Untranslatable).reason).toBe(reason);
  });

  it('reads ansible_check_mode as a run does (a helix check plans the same tasks)', () => {
    expect(translateCondition('not ansible_check_mode', scope()).code).toBe('true');
    expect(translateCondition('ansible_check_mode', scope()).code).toBe('false');
  });

  it.each([
    ['enabled | bool and not ansible_check_mode', 'v.enabled'],
    ['not ansible_check_mode and enabled | bool', 'v.enabled'],
    ['ansible_check_mode and enabled | bool', 'false'],
    ['ansible_check_mode or enabled | bool', 'v.enabled'],
    ['enabled | bool or not ansible_check_mode', 'true'],
  ])('folds a condition known while porting: %s', (src, expected) => {
    expect(translateCondition(src, scope()).code).toBe(expected);
  });

  it('folds a conditional expression whose test is known, leaving the other branch alone', () => {
    expect(tr("'placeholder' if ansible_check_mode else name")).toBe('v.name');
    expect(tr("hostvars['x'].y if ansible_check_mode else 'real'")).toBe("'real'");
  });

  it('keeps literal helpers exact', () => {
    expect(lit("it's").code).toBe("'it\\'s'");
  });
});
