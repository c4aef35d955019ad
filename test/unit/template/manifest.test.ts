import { describe, expect, it } from 'vitest';
import { Secret, type TaskContext } from '../../../src/index.ts';
import { manifest, manifests } from '../../../src/modules/template/index.ts';

const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{name}}
  namespace: {{ns}}
data:
  config.json: {{quote (json config)}}
`;

describe('template.manifest', () => {
  const rows: { name: string; text: string; vars: Record<string, unknown>; out?: unknown; error?: RegExp }[] = [
    {
      name: 'one object',
      text: cm,
      vars: { name: 'app', ns: 'devpi', config: { a: 1 } },
      out: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'devpi' }, data: { 'config.json': '{"a":1}' } },
    },
    {
      name: 'undefined variable names template and variable',
      text: cm,
      vars: { name: 'app', config: {} },
      error: /template "cm\.yaml": undefined variable "ns"/,
    },
    { name: 'malformed YAML after rendering', text: 'a: {{x}}\n b: c', vars: { x: 1 }, error: /document 1: rendered YAML is malformed/ },
    { name: 'not a Kubernetes object', text: 'kind: X\n', vars: {}, error: /document 1: has no apiVersion, metadata\.name/ },
    {
      name: 'two objects where one is wanted',
      text: `${cm}---\n${cm}`,
      vars: { name: 'a', ns: 'b', config: 1 },
      error: /renders 2 objects; manifest\(\) takes exactly one/,
    },
  ];

  it.each(rows)('$name', ({ text, vars, out, error }) => {
    const run = () => manifest({ text, name: 'cm.yaml' }, vars);
    if (error) expect(run).toThrow(error);
    else expect(run()).toEqual(out);
  });

  it('parses several documents and lists, skipping empty ones', () => {
    const docs = manifests(
      { text: `---\n${cm}---\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n`, name: 'all' },
      { name: 'a', ns: 'b', config: 1 },
    );
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['ConfigMap/a', 'Namespace/x']);
  });

  it('renders a Secret manifest from a Secret value', () => {
    const pw = new Secret('manifest-secret-pw');
    const secret = manifest({ text: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  password: {{b64 pw}}\n', name: 's' }, { pw });
    expect(Buffer.from(secret.data.password as string, 'base64').toString()).toBe('manifest-secret-pw');
  });

  it('defers rendering when vars come from earlier results', () => {
    const make = manifests({ text: cm, name: 'cm.yaml' }, (ctx: TaskContext) => ({ name: ctx.path, ns: 'n', config: 1 }));
    expect(typeof make).toBe('function');
    expect(make({ path: 'p' } as TaskContext)[0]?.metadata.name).toBe('p');
  });
});
