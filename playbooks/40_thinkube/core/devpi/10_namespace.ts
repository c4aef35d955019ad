import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/**
 * Namespace with its LimitRange and ResourceQuota (original: thinkube_namespace). No TLS or
 * pull secret is copied by shelling base64 into a heredoc: TLS ends at the Ingress with the
 * Secret the environment names, and pull credentials come from 60_build_workflow.
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  return [
    k8s.apply('namespace', {
      manifests: template.manifests(
        { src: d.tpl('namespace.yaml.hbs') },
        { namespace: d.ns, labels: d.labels, limitRange: NAMES.limitRange, resourceQuota: NAMES.resourceQuota },
      ),
    }),
  ];
});
