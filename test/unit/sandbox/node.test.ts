import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podSelector, podTrouble } from '../../../src/modules/k8s/diagnose.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { copyWithLinks, replaceEdits } from '../../../src/sandbox/build.ts';
import { corefile } from '../../../src/sandbox/components/dns.ts';
import { chainRemoval, splitRule, writeHostsBlock } from '../../../src/sandbox/host.ts';
import { resolveComponents } from '../../../src/sandbox/registry.ts';

describe('sandbox: the node group', () => {
  it('`--only node` brings the control plane, the registry, runtime, kubelet, kube-proxy, DNS and Traefik', () => {
    const names = resolveComponents(['node']).map((c) => c.name);
    for (const n of ['net', 'kube-apiserver', 'registry', 'containerd', 'kubelet', 'kube-proxy', 'coredns', 'traefik']) expect(names).toContain(n);
    expect(names.indexOf('registry')).toBeLessThan(names.indexOf('kubelet'));
    expect(names.indexOf('containerd')).toBeLessThan(names.indexOf('kubelet'));
    expect(names).not.toContain('keycloak');
  });
});

describe("sandbox: a dependency's replace directives in a wrapper module", () => {
  it('keeps versioned targets and resolves folder targets inside the module', () => {
    const gomod = [
      'module github.com/traefik/traefik/v3',
      'replace github.com/traefik/traefik/dynamic/ext => ./pkg/config/dynamic/ext',
      'replace (',
      '\tgithub.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1',
      '\tgithub.com/gorilla/mux v1.8.0 => github.com/containous/mux v0.0.0-2025',
      ')',
    ].join('\n');
    expect(replaceEdits(gomod, '/mod/traefik@v3')).toEqual([
      '-replace=github.com/traefik/traefik/dynamic/ext=/mod/traefik@v3/pkg/config/dynamic/ext',
      '-replace=github.com/abbot/go-http-auth=github.com/containous/go-http-auth@v0.4.1',
      '-replace=github.com/gorilla/mux@v1.8.0=github.com/containous/mux@v0.0.0-2025',
    ]);
  });
  it('drops a folder target missing from the module (a nested module the proxy serves on its own)', () => {
    const gomod = [
      'module github.com/argoproj/argo-cd/v3',
      'require github.com/argoproj/argo-cd/gitops-engine/v3 v3.6.2',
      'replace (',
      '\tk8s.io/api => k8s.io/api v0.37.0',
      ')',
      'replace github.com/argoproj/argo-cd/gitops-engine/v3 => ./gitops-engine',
      'replace example.com/kept => ./kept',
    ].join('\n');
    const present = new Set(['/mod/argo-cd@v3/kept']);
    expect(replaceEdits(gomod, '/mod/argo-cd@v3', (d) => present.has(d))).toEqual([
      '-replace=k8s.io/api=k8s.io/api@v0.37.0',
      '-replace=example.com/kept=/mod/argo-cd@v3/kept',
    ]);
  });
  it('finds nothing in a go.mod without replaces', () => {
    expect(replaceEdits('module x\n\ngo 1.26.0\n', '/m')).toEqual([]);
  });
});

describe('sandbox: symbolic links a module zip leaves out', () => {
  it('copies the module writable, with each link written as a copy of its target', () => {
    const root = mkdtempSync(join(tmpdir(), 'hx-links-'));
    const src = join(root, 'mod@v1');
    mkdirSync(join(src, 'os'), { recursive: true });
    writeFileSync(join(src, 'os', 'signal_darwin.go'), 'package os\n');
    writeFileSync(join(src, 'go.mod'), 'module x\n');
    chmodSync(join(src, 'os', 'signal_darwin.go'), 0o444);
    chmodSync(join(src, 'os'), 0o555);
    const dest = join(root, 'src', 'x');
    for (let i = 0; i < 2; i++) copyWithLinks(src, dest, [{ link: 'os/signal_linux.go', target: 'os/signal_darwin.go' }]);
    expect(readFileSync(join(dest, 'os', 'signal_linux.go'), 'utf8')).toBe('package os\n');
    expect(readFileSync(join(dest, 'go.mod'), 'utf8')).toBe('module x\n');
    expect(statSync(join(dest, 'os')).mode & 0o200).toBeTruthy();
    chmodSync(join(src, 'os'), 0o755);
  });
});

describe('sandbox: the /etc/hosts block', () => {
  const file = () => {
    const f = join(mkdtempSync(join(tmpdir(), 'hx-hosts-')), 'hosts');
    writeFileSync(f, '127.0.0.1 localhost\n::1 localhost\n');
    return f;
  };
  it('adds the block once, replaces it, and removes exactly it', () => {
    const f = file();
    expect(writeHostsBlock(['10.213.7.3 registry.sandbox.test'], f)).toBe(true);
    expect(writeHostsBlock(['10.213.7.3 registry.sandbox.test'], f)).toBe(false);
    expect(readFileSync(f, 'utf8').match(/registry\.sandbox\.test/g)).toHaveLength(1);
    writeHostsBlock(['10.213.7.2 hello.sandbox.test'], f);
    expect(readFileSync(f, 'utf8')).not.toContain('registry');
    expect(writeHostsBlock([], f)).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe('127.0.0.1 localhost\n::1 localhost\n');
  });
});

describe('sandbox: CoreDNS configuration', () => {
  const text = corefile('/k/coredns.kubeconfig', '/k/hosts');
  it('answers the cluster from the API, the sandbox domain with Traefik, and has no upstream', () => {
    expect(text).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    expect(text).toContain('kubeconfig /k/coredns.kubeconfig helix-sandbox');
    expect(text).toMatch(/sandbox\.test:53 \{[\s\S]*answer "\{\{ \.Name \}\} 30 IN A 10\.213\.7\.2"/);
    expect(text).toMatch(/^registry\.sandbox\.test host\.sandbox\.test git\.sandbox\.test \{\n {2}bind 10\.213\.7\.1\n {2}hosts \/k\/hosts\n\}/);
    expect(text).not.toMatch(/\bforward\b/);
  });
});

describe("k8s: what a workload's pods say", () => {
  const now = Date.parse('2026-12-07T01:00:00Z');
  const pod = (statuses: unknown[], created = '2026-12-07T00:59:50Z'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'ns', creationTimestamp: created },
    status: { containerStatuses: statuses },
  });
  it.each([
    { reason: 'ImagePullBackOff', fatal: true },
    { reason: 'InvalidImageName', fatal: true },
    { reason: 'CrashLoopBackOff', fatal: true },
    { reason: 'ErrImagePull', fatal: false },
    { reason: 'ContainerCreating', fatal: false },
    { reason: 'CreateContainerConfigError', fatal: false },
  ])('$reason is fatal: $fatal', ({ reason, fatal }) => {
    const t = podTrouble(pod([{ name: 'web', state: { waiting: { reason, message: 'because' } } }]), now);
    expect(!!t.fatal).toBe(fatal);
    expect(t.fatal ?? t.detail).toContain(`pod ns/web-1: container web: ${reason}: because`);
  });
  it('a config error is fatal once it has lasted a minute', () => {
    const t = podTrouble(pod([{ name: 'web', state: { waiting: { reason: 'CreateContainerConfigError' } } }], '2026-12-07T00:58:00Z'), now);
    expect(t.fatal).toContain('CreateContainerConfigError');
  });
  it("a crash loop names the last exit code and asks for the previous run's log", () => {
    const t = podTrouble(
      pod([{ name: 'web', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3, reason: 'Error' } } }]),
      now,
    );
    expect(t.fatal).toContain('last exit code 3, Error, 2 restarts');
    expect(t.previous).toBe(true);
  });
  it('a healthy pod has nothing to say; an unschedulable one says why', () => {
    expect(podTrouble(pod([{ name: 'web', state: { running: {} } }]), now)).toEqual({});
    const p = pod([]);
    p.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }];
    expect(podTrouble(p, now).detail).toContain('not scheduled: Unschedulable 0/3 nodes are available');
  });
  it("selects a workload's pods by its matchLabels", () => {
    expect(
      podSelector({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'web', tier: 'x' } } } }),
    ).toBe('app=web,tier=x');
    expect(podSelector({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
  });
});

describe("sandbox: removing the kubelet's iptables chains", () => {
  const save = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-KUBELET-CANARY - [0:0]',
    '-A INPUT -j KUBE-FIREWALL',
    '-A INPUT -s 10.0.0.0/8 -j ACCEPT',
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -j DROP',
    'COMMIT',
    '*mangle',
    ':KUBE-IPTABLES-HINT - [0:0]',
    'COMMIT',
  ].join('\n');
  it('deletes the jumps from other chains, then flushes and deletes the chains, table by table', () => {
    expect(chainRemoval(save, 'KUBE-')).toEqual([
      ['-t', 'filter', '-D', 'INPUT', '-j', 'KUBE-FIREWALL'],
      ['-t', 'filter', '-F', 'KUBE-FIREWALL'],
      ['-t', 'filter', '-F', 'KUBE-KUBELET-CANARY'],
      ['-t', 'mangle', '-F', 'KUBE-IPTABLES-HINT'],
      ['-t', 'filter', '-X', 'KUBE-FIREWALL'],
      ['-t', 'filter', '-X', 'KUBE-KUBELET-CANARY'],
      ['-t', 'mangle', '-X', 'KUBE-IPTABLES-HINT'],
    ]);
  });
  it('keeps quoted words whole', () => {
    expect(splitRule('A -m comment --comment "a \\"b\\" c" -j X')).toEqual(['A', '-m', 'comment', '--comment', 'a "b" c', '-j', 'X']);
  });
  it('has nothing to do on a clean host', () => {
    expect(chainRemoval('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 'KUBE-')).toEqual([]);
  });
});
