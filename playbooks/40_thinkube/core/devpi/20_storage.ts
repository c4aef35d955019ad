import { definePlaybook } from '../../../../src/index.ts';
import * as k8s from '../../../../src/modules/k8s/index.ts';
import * as template from '../../../../src/modules/template/index.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/** The package volume: PVC devpi-data-pvc, ReadWriteOnce, 5Gi by default. */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const spec = {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: d.v.devpi_storage_size } },
    ...(d.v.devpi_storage_class ? { storageClassName: d.v.devpi_storage_class } : {}),
  };
  return [
    k8s.apply('pvc', {
      manifests: template.manifests({ src: d.tpl('storage.yaml.hbs') }, { namespace: d.ns, pvc: NAMES.pvc, labels: d.labels, spec }),
    }),
  ];
});
