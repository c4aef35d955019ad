import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { kubernetesWrapperEdits } from '../../../src/sandbox/build.ts';
import { exportLines, inventoryDocument } from '../../../src/sandbox/outputs.ts';
import { requirePortFree } from '../../../src/sandbox/proc.ts';
import { resolveComponents } from '../../../src/sandbox/registry.ts';

describe('sandbox: --only resolution', () => {
  const names = (only?: string[]) => resolveComponents(only).map((c) => c.name);
  // Without root there is no bridge: the apiserver then does not depend on `net`.
  const net = process.getuid?.() === 0 ? ['net'] : [];
  const k8s = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
  it.each([
    { only: ['redis'], want: ['redis'] },
    { only: ['k8s'], want: [...net, ...k8s] },
    { only: ['kwok', 'keycloak'], want: [...net, ...k8s, 'keycloak'] },
    { only: ['git'], want: ['net', 'git'] },
    { only: ['hosts'], want: ['net', 'ssh', 'git', 'github'] },
  ])('$only → $want', ({ only, want }) => {
    expect(names(only)).toEqual(want);
  });
  it('starts everything without --only, dependencies first', () => {
    const all = names();
    expect(all.indexOf('etcd')).toBeLessThan(all.indexOf('kube-apiserver'));
    expect(all.indexOf('kube-apiserver')).toBeLessThan(all.indexOf('kwok'));
    expect(all.indexOf('net')).toBeLessThan(all.indexOf('ssh'));
  });
  it('leaves an opt-in component (argo-cd) out unless its variable is 1 or it is named', () => {
    expect(resolveComponents(undefined, {}).map((c) => c.name)).not.toContain('argo-cd');
    expect(resolveComponents(undefined, { HELIX_SANDBOX_ARGOCD: '0' }).map((c) => c.name)).not.toContain('argo-cd');
    const on = resolveComponents(undefined, { HELIX_SANDBOX_ARGOCD: '1' }).map((c) => c.name);
    expect(on).toContain('argo-cd');
    expect(on.indexOf('git')).toBeLessThan(on.indexOf('argo-cd'));
    expect(names(['argo-cd'])).toEqual(['net', 'etcd', 'kube-apiserver', 'git', 'argo-cd']);
  });
  it('reports every unknown name at once', () => {
    expect(() => names(['redis', 'nope', 'k9s'])).toThrow(/"nope", "k9s"/);
  });
});

describe('sandbox: Kubernetes wrapper module', () => {
  const gomod = [
    'module k8s.io/kubernetes',
    '',
    'go 1.26.0',
    '',
    'godebug default=go1.26',
    '',
    'require (',
    '\tgithub.com/foo/bar v1.2.3',
    '\tk8s.io/api v0.0.0',
    '\tk8s.io/client-go v0.0.0',
    '\tk8s.io/utils v0.0.0-20260101000000-abcdef123456',
    ')',
    '',
    'require k8s.io/cri-streaming v0.0.0 // indirect',
  ].join('\n');
  it('copies go and godebug lines and replaces each staging module by its tag', () => {
    expect(kubernetesWrapperEdits(gomod, '1.36.3')).toEqual([
      '-go=1.26.0',
      '-godebug=default=go1.26',
      '-replace=k8s.io/api=k8s.io/api@v0.36.3',
      '-replace=k8s.io/client-go=k8s.io/client-go@v0.36.3',
      '-replace=k8s.io/cri-streaming=k8s.io/cri-streaming@v0.36.3',
    ]);
  });
  it('reads a godebug block', () => {
    const edits = kubernetesWrapperEdits('go 1.24.0\ngodebug (\n\tdefault=go1.24\n\twinsymlink=0\n)\n', '1.33.1');
    expect(edits).toEqual(['-go=1.24.0', '-godebug=default=go1.24', '-godebug=winsymlink=0']);
  });
});

describe('sandbox: outputs', () => {
  it('quotes export lines for any POSIX shell', () => {
    expect(exportLines({ A: "it's", B: '/x y' })).toBe(`export A='it'\\''s'\nexport B='/x y'\n`);
  });
  it('writes groups in the inventory format', () => {
    const doc = inventoryDocument({ dir: '/d', inventory: '/d/i', components: [], vars: {}, env: {}, hosts: {}, groups: { g: ['h1'] } });
    expect(doc).toEqual({ vars: {}, hosts: {}, groups: { g: { hosts: ['h1'] } } });
  });
});

describe('sandbox: ports', () => {
  it('reports a port in use instead of sharing it', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    try {
      await expect(requirePortFree('redis', '127.0.0.1', port)).rejects.toThrow(new RegExp(`port 127\\.0\\.0\\.1:${port} is already in use`));
    } finally {
      srv.close();
    }
  });
});
