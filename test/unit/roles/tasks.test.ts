import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import { CLIENT_KEY, type KubeObject, type KubeRef } from '../../../src/modules/k8s/index.ts';
import { keptSecret } from '../../../roles/common/kept_secret.ts';
import { followWorkflow } from '../../../roles/container_deployment/workflow.ts';
import { runTask } from '../../fixtures/task-harness.ts';

/** A KubeClient stand-in at the module's IO seam: reads from a map of live objects. */
function fakeClient(objects: KubeObject[]) {
  const key = (r: KubeRef) => `${r.kind}/${r.namespace ?? ''}/${r.name}`;
  const live = new Map(objects.map((o) => [key({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace }), o]));
  return { get: async (r: KubeRef) => live.get(key(r)), list: async () => [...live.values()] };
}

const secret = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'oauth2-proxy', namespace: 'devpi' },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});

describe('keptSecret: generated once, then kept', () => {
  const table = [
    { name: 'first run: no Secret, a value is generated', live: [], ifMissing: 'generate' as const, reason: /generated a new value/, kept: undefined },
    {
      name: 'second run: the live value is kept (plans nothing)',
      live: [secret({ 'cookie-secret': 'kept-cookie-secret-value' })],
      ifMissing: 'generate' as const,
      reason: /kept the value/,
      kept: 'kept-cookie-secret-value',
    },
    { name: 'a required value that is missing fails', live: [], ifMissing: 'require' as const, error: /does not exist/ },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const task = keptSecret('cookie', { namespace: 'devpi', secretName: 'oauth2-proxy', key: 'cookie-secret', ifMissing: row.ifMissing });
      const r = await runTask<Secret>(task, { memo: { [CLIENT_KEY]: fakeClient(row.live) } });
      expect(r.changes).toEqual([]);
      if ('error' in row) {
        expect(r.outcome).toBe('failed');
        expect(r.error).toMatch(row.error!);
        return;
      }
      expect(r.reason).toMatch(row.reason!);
      expect(r.result).toBeInstanceOf(Secret);
      if (row.kept) expect(r.result!.reveal()).toBe(row.kept);
      else expect(r.result!.reveal()).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(JSON.stringify(r.events)).not.toContain(r.result!.reveal());
    });
  }
});

describe('followWorkflow: phase followed, failures name the node', () => {
  const wf = (status: unknown): KubeObject => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'devpi-build-1', namespace: 'argo' },
    status,
  });
  const table = [
    {
      name: 'Succeeded: ok with outputs (a second run plans nothing either)',
      status: { phase: 'Succeeded', outputs: { parameters: [{ name: 'tag', value: 'v1' }] } },
      ok: /Succeeded/,
    },
    {
      name: 'Failed: the failing pod is named',
      status: { phase: 'Failed', nodes: { x: { displayName: 'build-image', type: 'Pod', phase: 'Failed', templateName: 'kaniko', message: 'exit 1' } } },
      error: /failed node "build-image" \(template kaniko\): exit 1/,
    },
    { name: 'no controller: times out with the phase last seen', status: undefined, error: /did not finish within 0 s \(phase: no phase yet\)/ },
    { name: 'absent Workflow is an error', status: 'absent', error: /does not exist/ },
  ];
  for (const row of table) {
    it(row.name, async () => {
      const objects = row.status === 'absent' ? [] : [wf(row.status)];
      const task = followWorkflow('follow', { namespace: 'argo', workflow: 'devpi-build-1', timeoutMs: 0, pollMs: 1 });
      const r = await runTask(task, { memo: { [CLIENT_KEY]: fakeClient(objects) } });
      expect(r.changes).toEqual([]);
      if (row.error) {
        expect(r.outcome).toBe('failed');
        expect(r.error).toMatch(row.error);
      } else {
        expect(r.outcome).toBe('ok');
        expect(r.reason).toMatch(row.ok!);
      }
    });
  }
});
