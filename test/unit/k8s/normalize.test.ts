import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import { describeChange, renderDiff, secretKeyChanges } from '../../../src/modules/k8s/diff.ts';
import { changedPaths, deepEqual, stripNoise } from '../../../src/modules/k8s/normalize.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';

const live: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'c',
    namespace: 'n',
    uid: 'u',
    resourceVersion: '12',
    generation: 4,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'helix' }],
    labels: { app: 'x' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"x"}}', note: 'kept' },
  },
  data: { a: '1' },
  status: { whatever: true },
};

describe('noise stripping', () => {
  it('removes what the server manages and keeps what a manifest can set', () => {
    expect(stripNoise(live)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n', labels: { app: 'x' }, annotations: { note: 'kept' } },
      data: { a: '1' },
    });
  });

  it('drops the annotations map when only bookkeeping annotations were in it', () => {
    const o = { ...live, metadata: { ...live.metadata, annotations: { 'deployment.kubernetes.io/revision': '3' } } };
    expect(stripNoise(o).metadata).not.toHaveProperty('annotations');
  });

  const table: [string, KubeObject, KubeObject, boolean][] = [
    [
      'equal after stripping (second run plans nothing)',
      live,
      { ...live, metadata: { ...live.metadata, resourceVersion: '13', generation: 5, managedFields: [] } },
      true,
    ],
    ['a data change is a difference', live, { ...live, data: { a: '2' } }, false],
    ['a new label is a difference', live, { ...live, metadata: { ...live.metadata, labels: { app: 'x', tier: 'web' } } }, false],
    ['status differences are ignored', live, { ...live, status: { other: 1 } }, true],
  ];
  for (const [name, a, b, equal] of table) {
    it(name, () => expect(deepEqual(stripNoise(a), stripNoise(b))).toBe(equal));
  }
});

describe('changed paths', () => {
  it('names fields, list items and keys with dots, never values', () => {
    const before = { spec: { replicas: 1, template: { spec: { containers: [{ image: 'a:1' }] } } }, metadata: { labels: { 'app.kubernetes.io/name': 'x' } } };
    const after = { spec: { replicas: 2, template: { spec: { containers: [{ image: 'a:2' }] } } }, metadata: { labels: { 'app.kubernetes.io/name': 'y' } } };
    expect(changedPaths(before, after)).toEqual(['spec.replicas', 'spec.template.spec.containers[0].image', 'metadata.labels."app.kubernetes.io/name"']);
  });
  it('reports a list whose length changed as a whole', () => {
    expect(changedPaths({ a: [1] }, { a: [1, 2] })).toEqual(['a']);
  });
  it('summarises an update', () => {
    expect(describeChange(live, { ...live, data: { a: '2', b: '3' } })).toBe('data.a, data.b');
  });
});

describe('Secret diffs', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const sec = (data: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'n' },
    type: 'Opaque',
    data,
  });

  it('lists added, changed and removed keys', () => {
    expect(secretKeyChanges(sec({ a: b64('1'), b: b64('2'), c: b64('3') }), sec({ a: b64('1'), b: b64('22'), d: b64('4') }))).toEqual({
      added: ['d'],
      changed: ['b'],
      removed: ['c'],
    });
  });

  it('shows keys with masks, marking changed ones, and no value in any encoding', () => {
    const before = sec({ keep: b64('keep-value-1'), rotate: b64('old-value-22'), gone: b64('gone-value-333') });
    const after = sec({ keep: b64('keep-value-1'), rotate: b64('new-value-4444'), fresh: b64('fresh-value-55555') });
    const d = renderDiff(before, after);
    expect(d.before).toBe(
      [
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: s',
        '  namespace: n',
        'type: Opaque',
        'data:',
        '  keep: "********"',
        '  rotate: "********"',
        '  gone: "********"',
        '',
      ].join('\n'),
    );
    expect(d.after).toContain('rotate: "******** (changed)"');
    expect(d.after).toContain('keep: "********"\n');
    expect(d.after).toContain('fresh: "********"');
    for (const v of ['keep-value-1', 'old-value-22', 'new-value-4444', 'gone-value-333', 'fresh-value-55555']) {
      expect(d.before + d.after).not.toContain(v);
      expect(d.before + d.after).not.toContain(b64(v));
    }
    expect(describeChange(before, after)).toBe('data keys added: fresh; data keys changed: rotate; data keys removed: gone');
  });

  it('masks Secret instances of a manifest not yet sent (a planned create)', () => {
    const m = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'n' },
      stringData: { pw: new Secret('planned-secret-value') },
    } as unknown as KubeObject;
    const d = renderDiff(undefined, m);
    expect(d.before).toBe('');
    expect(d.after).toContain('pw: "********"');
    expect(d.after).not.toContain('planned-secret-value');
  });

  it('hides the last-applied annotation, which can hold values', () => {
    const withAnnotation = {
      ...sec({ a: b64('x') }),
      metadata: { name: 's', namespace: 'n', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"a":"secretish"}}' } },
    };
    expect(renderDiff(withAnnotation, withAnnotation).after).not.toContain('secretish');
  });
});
