import { describe, expect, it } from 'vitest';
import { appliedBy, project } from '../../../bench/devpi-objects.ts';
import { growth, type ScenarioResult } from '../../../bench/report.ts';

const live = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'devpi',
    namespace: 'devpi',
    uid: 'u-1',
    resourceVersion: '42',
    labels: { app: 'devpi', 'helix.dev/component': 'devpi' },
    annotations: { 'deployment.kubernetes.io/revision': '3' },
    managedFields: [
      {
        manager: 'helix',
        operation: 'Apply',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:helix.dev/component': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:spec': {
                'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:args': {} } },
                'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} },
              },
            },
          },
        },
      },
      { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:status': {} } },
    ],
  },
  spec: {
    replicas: 1,
    revisionHistoryLimit: 10,
    template: {
      spec: {
        containers: [
          { name: 'app', image: 'devpi:1', args: ['--port=3141'], imagePullPolicy: 'IfNotPresent' },
          { name: 'sidecar', image: 'other:1' },
        ],
        finalizers: ['a', 'b'],
        dnsPolicy: 'ClusterFirst',
      },
    },
  },
  status: { replicas: 1 },
};

describe('bench: the DevPi objects as helix applied them', () => {
  it('cuts a live object down to the fields of helix apply entry, without defaults or other writers', () => {
    expect(appliedBy(live)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'devpi', namespace: 'devpi', labels: { app: 'devpi', 'helix.dev/component': 'devpi' } },
      spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image: 'devpi:1', args: ['--port=3141'] }], finalizers: ['a', 'b'] } } },
    });
  });

  it('keeps a whole value helix owns atomically, and returns nothing for an object helix never applied', () => {
    expect(project({ a: { x: 1, y: [1, 2] }, b: 2 }, { 'f:a': {} })).toEqual({ a: { x: 1, y: [1, 2] } });
    expect(appliedBy({ ...live, metadata: { ...live.metadata, managedFields: [] } })).toBeUndefined();
  });

  it('takes the keys of a Secret written through stringData from its data', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        namespace: 'devpi',
        managedFields: [{ manager: 'helix', operation: 'Apply', fieldsV1: { 'f:stringData': { 'f:password': {} }, 'f:type': {} } }],
      },
      type: 'Opaque',
      data: { password: 'c2VjcmV0', other: 'eA==' },
    };
    expect(appliedBy(secret)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'devpi' },
      type: 'Opaque',
      data: { password: 'c2VjcmV0' },
    });
  });
});

describe('bench: report', () => {
  const scale = (n: number, ms: number, kb: number): ScenarioResult => ({
    scenario: `scale: no-op re-run, ${n} objects`,
    helixMedianMs: ms,
    ansibleMedianMs: null,
    ratio: null,
    helix: { medianMs: ms, minMs: ms, maxMs: ms, cpuMedianMs: ms, rssMaxKb: kb, runs: 1 },
    ansible: null,
  });

  it('says whether the no-op time grows no faster than linearly from the smallest to the largest scale run', () => {
    expect(growth([scale(1000, 1400, 2000), scale(100, 700, 1000), scale(300, 900, 1000)])).toMatch(
      /from 100 to 1000 objects \(×10\), the no-op re-run's wall time grew ×2\.0 and its peak RSS ×2\.0: no faster than linearly \(target met\)/,
    );
    expect(growth([scale(100, 100, 1000), scale(1000, 1500, 1000)])).toMatch(/grew ×15\.0 .*faster than linearly \(\*\*target not met\*\*\)/);
    expect(growth([scale(100, 100, 1000)])).toBeUndefined();
  });
});
