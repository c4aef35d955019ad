import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import type { KubeObject, Manifest } from '../../../src/modules/k8s/types.ts';
import { appliedAlready } from '../../../src/modules/k8s/unchanged.ts';

const labels = { app: 'web', 'app.kubernetes.io/part-of': 'demo' };

/** What a playbook declares. */
const deployment = (): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', labels },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'registry.invalid/web:1', ports: [{ containerPort: 8080 }] }] } },
  },
});

/** helix's field set after applying {@link deployment}, as the API server records it. */
const deploymentFields = () => ({
  'f:metadata': { 'f:labels': { 'f:app': {}, 'f:app.kubernetes.io/part-of': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:metadata': { 'f:labels': { 'f:app': {}, 'f:app.kubernetes.io/part-of': {} } },
      'f:spec': {
        'f:containers': {
          'k:{"name":"app"}': {
            '.': {},
            'f:image': {},
            'f:name': {},
            'f:ports': { 'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    },
  },
});

/** The stored object: defaults, status, and the managedFields of helix and the controller. */
const liveDeployment = (fields: object = deploymentFields(), more: object[] = []): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'demo',
    labels,
    annotations: { 'deployment.kubernetes.io/revision': '1' },
    resourceVersion: '3120',
    uid: 'u-1',
    generation: 1,
    managedFields: [
      { apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: fields, manager: 'helix', operation: 'Apply', time: '2026-01-01T00:00:00Z' },
      {
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:status': { 'f:replicas': {} } },
        manager: 'kube-controller-manager',
        operation: 'Update',
        subresource: 'status',
        time: '2026-01-01T00:00:00Z',
      },
      ...more,
    ],
  },
  spec: {
    progressDeadlineSeconds: 600,
    replicas: 1,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: 'web' } },
    strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
    template: {
      metadata: { labels },
      spec: {
        containers: [
          {
            image: 'registry.invalid/web:1',
            imagePullPolicy: 'IfNotPresent',
            name: 'app',
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            resources: {},
            terminationMessagePath: '/dev/termination-log',
          },
        ],
        restartPolicy: 'Always',
      },
    },
  },
  status: { replicas: 1 },
});

const service = (): Manifest => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'demo' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
});
const liveService = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'web',
    namespace: 'demo',
    managedFields: [
      {
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        manager: 'helix',
        operation: 'Apply',
        fieldsV1: { 'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:targetPort': {} } }, 'f:selector': {} } },
      },
    ],
  },
  spec: { clusterIP: '10.0.0.7', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }], selector: { app: 'web' }, type: 'ClusterIP' },
});

type Row = [string, Manifest, KubeObject, boolean];
const helixEntry = (l: KubeObject): Record<string, unknown> => (l.metadata.managedFields as Record<string, unknown>[])[0]!;
const edit = <T>(v: T, f: (v: T) => void): T => {
  f(v);
  return v;
};

describe('appliedAlready: helix last applied exactly this, and it is all live', () => {
  const rows: Row[] = [
    ['second run plans nothing: the same manifest over its own apply', deployment(), liveDeployment(), true],
    ['a Service with defaulted key fields (protocol) and an atomic selector', service(), liveService(), true],
    ['a changed value', edit(deployment(), (m) => (m.spec.replicas = 2)), liveDeployment(), false],
    ['a value changed live by someone else', deployment(), edit(liveDeployment(), (l) => (l.spec.template.spec.containers[0].image = 'other:2')), false],
    ['a field dropped from the manifest (the apply would remove it)', edit(deployment(), (m) => delete m.metadata.labels), liveDeployment(), false],
    [
      'a field added that only a default holds (helix does not own it yet)',
      edit(deployment(), (m) => (m.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent')),
      liveDeployment(),
      false,
    ],
    ['an atomic value with more live than declared', deployment(), edit(liveDeployment(), (l) => (l.spec.selector.matchExpressions = [])), false],
    [
      'a list another manager added an element to',
      service(),
      edit(liveService(), (l) => l.spec.ports.push({ port: 81, protocol: 'TCP', targetPort: 81 })),
      false,
    ],
    ['list elements in another order', edit(service(), (m) => m.spec.ports.unshift({ port: 81 })), liveService(), false],
    ['a value the server normalises', edit(deployment(), (m) => (m.spec.replicas = '1')), liveDeployment(), false],
    ['a null', edit(deployment(), (m) => (m.spec.template.spec.containers[0].ports = null)), liveDeployment(), false],
    ['no managedFields', deployment(), edit(liveDeployment(), (l) => delete l.metadata.managedFields), false],
    ['applied only by another manager', deployment(), edit(liveDeployment(), (l) => (helixEntry(l).manager = 'kubectl')), false],
    ['helix as an Update, not an Apply', deployment(), edit(liveDeployment(), (l) => (helixEntry(l).operation = 'Update')), false],
    [
      'two Apply entries of helix',
      deployment(),
      liveDeployment(deploymentFields(), [
        { apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: {}, manager: 'helix', operation: 'Apply', subresource: 'scale' },
      ]),
      false,
    ],
    ['applied at another apiVersion', deployment(), edit(liveDeployment(), (l) => (helixEntry(l).apiVersion = 'apps/v1beta2')), false],
    ['a field set entry it does not know', deployment(), liveDeployment(edit(deploymentFields(), (f) => Object.assign(f['f:spec'], { 'i:0': {} }))), false],
    ['another object', edit(deployment(), (m) => (m.metadata.name = 'api')), liveDeployment(), false],
  ];
  it.each(rows)('%s', (_name, desired, live, expected) => {
    expect(appliedAlready(desired, live)).toBe(expected);
  });

  it('a bare Namespace owns nothing: unchanged unless helix set fields on it before', () => {
    const bare: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'demo', labels: { 'kubernetes.io/metadata.name': 'demo' } },
      spec: { finalizers: ['kubernetes'] },
    };
    expect(appliedAlready(bare, live)).toBe(true);
    const labelled = edit(structuredClone(live), (l) => {
      l.metadata.labels!.team = 'a';
      l.metadata.managedFields = [
        { apiVersion: 'v1', fieldsType: 'FieldsV1', manager: 'helix', operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
      ];
    });
    expect(appliedAlready(bare, labelled)).toBe(false);
    expect(appliedAlready({ ...bare, metadata: { name: 'demo', labels: { team: 'a' } } }, labelled)).toBe(true);
  });

  it('a set of scalars (finalizers) is owned value by value', () => {
    const m = edit(deployment(), (d) => (d.metadata.finalizers = ['a.example/x', 'b.example/y']));
    const fields = edit(deploymentFields(), (f) =>
      Object.assign(f['f:metadata'], { 'f:finalizers': { '.': {}, 'v:"a.example/x"': {}, 'v:"b.example/y"': {} } }),
    );
    const live = edit(liveDeployment(fields), (l) => (l.metadata.finalizers = ['a.example/x', 'b.example/y']));
    expect(appliedAlready(m, live)).toBe(true);
    expect(
      appliedAlready(
        edit(structuredClone(m), (d) => (d.metadata.finalizers = ['a.example/x', 'c.example/z'])),
        live,
      ),
    ).toBe(false);
  });

  it('a Secret value given as a Secret is never proven (the dry run decides)', () => {
    const m: Manifest = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'demo' }, data: { k: new Secret('dmFsdWU=') } };
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'demo',
        managedFields: [{ apiVersion: 'v1', fieldsType: 'FieldsV1', manager: 'helix', operation: 'Apply', fieldsV1: { 'f:data': { 'f:k': {} } } }],
      },
      data: { k: 'dmFsdWU=' },
    };
    expect(appliedAlready(m, live)).toBe(false);
    expect(appliedAlready({ ...m, data: { k: 'dmFsdWU=' } }, live)).toBe(true);
  });
});
