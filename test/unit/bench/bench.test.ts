import { describe, expect, it } from 'vitest';
import { appliedBy, project } from '../../../bench/devpi-objects.ts';
import type { Sample } from '../../../bench/measure.ts';
import { growth, type Machine, markdown, row, type ScenarioResult } from '../../../bench/report.ts';
import { rotate } from '../../../bench/scenarios/k8s.ts';
import { pyinfraTotals } from '../../../bench/scenarios/ssh.ts';

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
    peer: null,
    helixMedianMs: ms,
    peerMedianMs: null,
    ratio: null,
    helix: { medianMs: ms, minMs: ms, maxMs: ms, cpuMedianMs: ms, rssMaxKb: kb, runs: 1 },
    peerStats: null,
  });

  it('says whether the no-op time grows no faster than linearly from the smallest to the largest scale run', () => {
    expect(growth([scale(1000, 1400, 2000), scale(100, 700, 1000), scale(300, 900, 1000)])).toMatch(
      /from 100 to 1000 objects \(×10\), the no-op re-run's wall time grew ×2\.0 and its peak RSS ×2\.0: no faster than linearly \(target met\)/,
    );
    expect(growth([scale(100, 100, 1000), scale(1000, 1500, 1000)])).toMatch(/grew ×15\.0 .*faster than linearly \(\*\*target not met\*\*\)/);
    expect(growth([scale(100, 100, 1000)])).toBeUndefined();
  });
});

describe('bench: rows against each peer', () => {
  const samples = (...ms: number[]): Sample[] => ms.map((wallMs) => ({ wallMs, cpuMs: wallMs, maxRssKb: 1024, exitCode: 0, stdout: '', stderr: '' }));
  const m: Machine = { date: 'd', cores: 2, memoryGiB: 24, node: 'v20', ansible: '2.19', peers: { kubectl: '1.36.3' }, kubernetes: '1.36.3', load: '0' };

  it.each([
    // scenario, helix ms, peer ms, target ratio, met
    ['no-op vs Ansible', [400, 390, 410], [13_000, 13_200, 12_900], 50, false],
    ['no-op vs kubectl', [400, 390, 410], [420, 430, 410], 1, true],
    ['create within 1.5× of kubectl', [850, 900, 950], [600, 620, 640], 1 / 1.5, true],
    ['create beyond 1.5× of kubectl', [1000, 1000, 1000], [600, 600, 600], 1 / 1.5, false],
  ] as const)('%s: the ratio is the peer over helix, judged unrounded', (name, h, p, ratio, met) => {
    const r = row(name, samples(...h), 'peer', samples(...p), { text: 't', ratio });
    expect(r.peer).toBe('peer');
    expect(r.met).toBe(met);
    expect(r.ratio).toBe(Math.round((r.peerMedianMs! / r.helixMedianMs) * 100) / 100);
  });

  it('names the peer in each row, and helix alone shows no peer', () => {
    const rows = [
      row('k8s converge: no-op re-run, the DevPi objects (19)', samples(390), 'Ansible', samples(13_230), { text: '≥ 50× less wall time', ratio: 50 }),
      row('k8s converge: no-op re-run, the DevPi objects (19)', samples(390), 'kubectl apply --server-side', samples(420), { text: 'no slower', ratio: 1 }),
      row('scale: no-op re-run, 100 objects', samples(600), null, null),
    ];
    const md = markdown(rows, m, false);
    expect(md).toContain('| k8s converge: no-op re-run, the DevPi objects (19) | 390 ms (390 ms–390 ms) | Ansible | 13.23 s (13.23 s–13.23 s) | 33.9× |');
    expect(md).toContain('| kubectl apply --server-side | 420 ms (420 ms–420 ms) | 1.08× |');
    expect(md).toContain('| scale: no-op re-run, 100 objects | 600 ms (600 ms–600 ms) | – | – | – |');
    expect(md).toContain('kubectl 1.36.3');
    expect(rows[2]!.peer).toBeNull();
  });

  it('rotates the tools so none always goes first', () => {
    expect([0, 1, 2, 3].map((i) => rotate(['helix', 'ansible', 'kubectl'], i).join(','))).toEqual([
      'helix,ansible,kubectl',
      'ansible,kubectl,helix',
      'kubectl,helix,ansible',
      'helix,ansible,kubectl',
    ]);
  });

  it("reads pyinfra's Grand total row", () => {
    const out = [
      '--> Results:',
      '    Operation     Hosts   Success   Error   No Change   ',
      '    dir           20      -         -       20          ',
      '    Grand total   600     -         -       600         ',
      '',
    ].join('\n');
    expect(pyinfraTotals(out)).toEqual({ operations: 600, success: 0, error: 0, noChange: 600 });
    expect(pyinfraTotals('    Grand total   800     800       -       -   ')).toEqual({ operations: 800, success: 800, error: 0, noChange: 0 });
    expect(pyinfraTotals('no table')).toBeUndefined();
  });
});
