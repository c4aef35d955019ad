import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/** The name of the static volume (cluster-scoped, so it carries the namespace). */
export const staticVolumeName = (ns: string): string => `${ns}-${NAMES.pvc}`;

/** A hostPath PersistentVolume reserved for the claim (single-node clusters, the sandbox). */
export function staticVolume(ns: string, path: string, size: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: staticVolumeName(ns), labels },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      claimRef: { namespace: ns, name: NAMES.pvc },
      hostPath: { path, type: 'DirectoryOrCreate' },
    },
  };
}

/** The package volume: PVC devpi-data-pvc, ReadWriteOnce, 5Gi by default. */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const spec = {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: d.v.devpi_storage_size } },
    ...(d.v.devpi_storage_class ? { storageClassName: d.v.devpi_storage_class } : {}),
  };
  const pv = d.v.devpi_storage_host_path ? staticVolume(d.ns, d.v.devpi_storage_host_path, d.v.devpi_storage_size, d.labels) : undefined;
  return [
    ...(pv ? [k8s.apply('volume', { manifest: pv })] : []),
    k8s.apply('pvc', {
      manifests: template.manifests(
        { src: d.tpl('storage.yaml.hbs') },
        { namespace: d.ns, pvc: NAMES.pvc, labels: d.labels, spec: pv ? { ...spec, storageClassName: '', volumeName: pv.metadata.name } : spec },
      ),
    }),
  ];
});
