import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { cm, FakeCluster, ns } from './fake-cluster.ts';
import { runTasks, validate } from './run.ts';

describe('k8s.apply validation (no IO)', () => {
  const table: [string, unknown, RegExp | undefined][] = [
    ['a good manifest', cm('ok', 'demo', { a: '1' }), undefined],
    ['no apiVersion', { kind: 'ConfigMap', metadata: { name: 'x', namespace: 'd' } }, /apiVersion is required/],
    ['no kind', { apiVersion: 'v1', metadata: { name: 'x', namespace: 'd' } }, /kind is required/],
    ['no name', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'd' } }, /metadata\.name is required/],
    ['generateName', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'x-', namespace: 'd' } }, /generateName is not supported/],
    ['upper-case name', cm('Bad_Name', 'demo', {}), /name "Bad_Name" must be a DNS-1123 subdomain/],
    ['dotted namespace name', ns('a.b'), /must be a DNS-1123 label/],
    [
      'namespaced kind without namespace',
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w' } },
      /Deployment is namespaced: give metadata\.namespace/,
    ],
    [
      'cluster kind with namespace',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', namespace: 'x' } },
      /cluster-scoped: remove metadata\.namespace/,
    ],
    [
      'a label YAML made a number',
      { ...cm('c', 'demo', {}), metadata: { name: 'c', namespace: 'demo', labels: { version: 1.5 } } },
      /metadata\.labels\.version must be a string/,
    ],
    ['RBAC names may hold colons', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:helix' } }, undefined],
    ['not a mapping', ['x'], /must be a mapping/],
  ];
  for (const [name, manifest, problem] of table) {
    it(name, () => {
      const problems = validate(k8s.apply('t', { manifest: manifest as k8s.Manifest }));
      if (problem) expect(problems.join('\n')).toMatch(problem);
      else expect(problems).toEqual([]);
    });
  }

  it('requires exactly one source', () => {
    expect(validate(k8s.apply('t', {}))).toEqual(['give one of manifest, manifests, file or dir']);
    expect(validate(k8s.apply('t', { manifest: cm('a', 'b', {}), file: '/x.yaml' }))).toEqual(['give only one of manifest, file']);
  });

  it('reports every bad document of a file, and malformed YAML with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-k8s-'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: A}\n---\nkind: Secret\nmetadata: {name: s, namespace: d}\n');
    expect(validate(k8s.apply('t', { file: join(dir, 'a.yaml') }))).toEqual([
      'ConfigMap A: name "A" must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)',
      "ConfigMap A: ConfigMap is namespaced: give metadata.namespace (or the task's namespace option)",
      'Secret d/s: apiVersion is required',
    ]);
    writeFileSync(join(dir, 'b.yaml'), 'apiVersion: v1\nkind: [\n');
    expect(validate(k8s.apply('t', { file: join(dir, 'b.yaml') }))[0]).toMatch(/malformed YAML in .*b\.yaml \(line \d\)/);
    expect(validate(k8s.apply('t', { file: 'relative.yaml' }))[0]).toMatch(/is relative/);
    expect(validate(k8s.apply('t', { dir: join(dir, 'missing') }))[0]).toMatch(/cannot read manifest folder .*ENOENT/);
  });

  it('finds an object given twice', () => {
    expect(validate(k8s.apply('t', { manifests: [cm('a', 'd', {}), cm('a', 'd', { x: 'y' })] }))).toEqual(['ConfigMap d/a: given twice']);
  });
});

describe('k8s.apply preflight (server dry run before any change)', () => {
  it('turns a schema rejection into a problem and changes nothing', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const good = k8s.apply('good', { manifest: cm('first', 'demo', { a: '1' }) });
    const bad = k8s.apply('bad', {
      manifest: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'demo' }, spec: { replicas: 'two' } },
    });
    cluster.fail((r) => r.method === 'PATCH' && r.path.includes('deployments'), {
      status: 500,
      body: { message: 'failed to create typed patch object (demo/w; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string' },
    });
    const out = await runTasks([good, bad], { memo: cluster.memo() });
    expect(out.problems).toEqual([
      {
        path: 't/pb/bad',
        message:
          'Deployment demo/w rejected by the API server: failed to create typed patch object (demo/w; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string',
      },
    ]);
    expect(cluster.get('k8s:v1/ConfigMap/demo/first')).toBeUndefined();
  });

  it('422 Invalid is a problem too; a missing namespace is not (an earlier task may create it)', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    cluster.fail((r) => r.method === 'PATCH' && r.path.includes('/demo/'), {
      status: 422,
      body: { reason: 'Invalid', message: 'ConfigMap "c" is invalid: metadata.labels: Invalid value' },
    });
    const out = await runTasks([k8s.apply('a', { manifest: cm('c', 'demo', {}) }), k8s.apply('b', { manifest: cm('c', 'later', {}) })], {
      mode: 'check',
      memo: cluster.memo(),
    });
    expect(out.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      't/pb/a: ConfigMap demo/c rejected by the API server: ConfigMap "c" is invalid: metadata.labels: Invalid value',
    ]);
  });

  it('validates an object whose namespace an earlier task creates by a dry run in default', async () => {
    const cluster = new FakeCluster([ns('default')]);
    cluster.fail((r) => r.method === 'PATCH' && r.path.startsWith('/api/v1/namespaces/default/'), {
      status: 422,
      body: { reason: 'Invalid', message: 'ConfigMap "c" is invalid: data[a b]: Invalid value' },
    });
    const out = await runTasks([k8s.apply('ns', { manifest: ns('later') }), k8s.apply('c', { manifest: cm('c', 'later', { 'a b': '1' }) })], {
      memo: cluster.memo(),
    });
    expect(out.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      't/pb/c: ConfigMap later/c rejected by the API server: ConfigMap "c" is invalid: data[a b]: Invalid value',
    ]);
    expect(cluster.get('k8s:v1/Namespace/_/later')).toBeUndefined();
  });

  it('skips manifests computed at run time', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const out = await runTasks([k8s.apply('a', { manifest: () => cm('c', 'demo', {}) })], { mode: 'check', memo: cluster.memo() });
    expect(out.problems).toEqual([]);
    expect(cluster.requests.filter((r) => r.method === 'PATCH').length).toBe(1);
  });
});
