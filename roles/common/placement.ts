/**
 * Where a role's pods run: a node selector and tolerations added to every pod it creates
 * (dedicated nodes, tainted node pools). Empty parts are left out of the manifests.
 */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface PodPlacement {
  nodeSelector?: Record<string, string>;
  tolerations?: readonly Toleration[];
}

/**
 * The pod spec lines for a template (`{{indent 6 placement}}` at the pod spec's indentation):
 * `nodeSelector:` and `tolerations:` in flow style, each left out when empty, so a role without
 * placement renders exactly what it rendered before.
 */
export function placementYaml(p: PodPlacement | undefined): string {
  const lines: string[] = [];
  if (p?.nodeSelector && Object.keys(p.nodeSelector).length) lines.push(`nodeSelector: ${JSON.stringify(p.nodeSelector)}`);
  if (p?.tolerations?.length) lines.push(`tolerations: ${JSON.stringify(p.tolerations)}`);
  return lines.join('\n');
}
