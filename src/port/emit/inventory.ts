import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import type { AnsibleInventory } from '../ansible/source.ts';
import { VaultValue } from '../ansible/source.ts';
import type { Generation } from '../generation.ts';

const CONNECTION_VARS = new Set([
  'ansible_host',
  'ansible_user',
  'ansible_port',
  'ansible_ssh_private_key_file',
  'ansible_connection',
  'ansible_python_interpreter',
  'ansible_become_password',
  'ansible_become_pass',
  'ansible_ssh_common_args',
  'ansible_ssh_pass',
  'ansible_password',
]);

/** The hosts of a group and its children, recursively. */
function hostsOf(inv: AnsibleInventory, group: string, seen = new Set<string>()): string[] {
  if (seen.has(group)) return [];
  seen.add(group);
  const g = inv.groups[group];
  if (!g) return [];
  return [...new Set([...g.hosts, ...g.children.flatMap((c) => hostsOf(inv, c, seen))])];
}

/** A group's variables with its parents' underneath (Ansible: the child group wins). */
function groupVarsFor(inv: AnsibleInventory, groups: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(inv.groups.all?.vars ?? {}) };
  for (const g of groups) Object.assign(out, inv.groups[g]?.vars ?? {});
  return out;
}

function comment(doc: Document, path: string[], key: string, text: string): void {
  const m = doc.getIn(path, true);
  if (!isMap(m)) return;
  for (const p of (m as YAMLMap).items) if (isScalar(p.key) && p.key.value === key) p.key.commentBefore = ` ${text}`;
}

/**
 * `inventory/<env>.yaml` from an Ansible inventory: hosts (address, user, port, key from the
 * `ansible_*` connection variables), groups, and the component's variables from group_vars.
 * Secrets become secret references; variables nothing defines are left `null` with a TODO,
 * so `helix play` stops on them (and lists them all) until someone fills them in.
 */
export function emitInventory(gen: Generation, inv: AnsibleInventory | undefined, targetGroups: readonly string[]): void {
  const env = inv?.name ?? 'local';
  const todos: [string[], string, string][] = [];
  const component: Record<string, unknown> = {};
  const visible = inv ? groupVarsFor(inv, targetGroups) : {};
  for (const v of [...gen.k.vars.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (v.derived) continue;
    if (v.envSecret) {
      component[v.name] = { secret: { env: v.envSecret } };
      continue;
    }
    const value = v.name in visible ? visible[v.name] : undefined;
    if (value instanceof VaultValue) {
      const envName = v.name.toUpperCase();
      component[v.name] = { secret: { env: envName } };
      todos.push([['components', gen.component], v.name, `TODO(port): was an Ansible Vault value; export ${envName} (or use { secret: { file: … } })`]);
    } else if (value !== undefined && !(typeof value === 'string' && /\{\{/.test(value))) {
      if (v.type.k === 'secret') {
        const envName = v.name.toUpperCase();
        component[v.name] = { secret: { env: envName } };
        todos.push([['components', gen.component], v.name, `TODO(port): a secret; it was in clear text in group_vars, export ${envName}`]);
      } else component[v.name] = value;
    } else if (!v.optional) {
      component[v.name] = null;
      todos.push([
        ['components', gen.component],
        v.name,
        v.defined ? 'TODO(port): defined for another environment only' : 'TODO(port): read by the playbooks, defined nowhere',
      ]);
    }
  }

  const out: Record<string, unknown> = {};
  if (inv) {
    const hosts: Record<string, unknown> = {};
    for (const [name, hv] of Object.entries(inv.hosts)) {
      const h: Record<string, unknown> = { address: hv.ansible_host ?? name, user: hv.ansible_user ?? null };
      if (hv.ansible_user === undefined) todos.push([['hosts', name], 'user', 'TODO(port): no ansible_user in the Ansible inventory']);
      if (hv.ansible_port !== undefined) h.port = Number(hv.ansible_port);
      if (hv.ansible_ssh_private_key_file !== undefined) h.key = hv.ansible_ssh_private_key_file;
      if (hv.ansible_become_password !== undefined || hv.ansible_become_pass !== undefined) {
        h.becomePassword = { secret: { env: 'BECOME_PASSWORD' } };
        todos.push([['hosts', name], 'becomePassword', 'TODO(port): the become password was in the Ansible inventory; export BECOME_PASSWORD']);
      }
      const rest = Object.fromEntries(Object.entries(hv).filter(([k]) => !CONNECTION_VARS.has(k)));
      if (Object.keys(rest).length) h.vars = rest;
      hosts[name] = h;
    }
    if (Object.keys(hosts).length) out.hosts = hosts;
    const groups: Record<string, unknown> = {};
    for (const g of Object.keys(inv.groups)) {
      if (g === 'all' || g === 'ungrouped') continue;
      const members = hostsOf(inv, g);
      const gv = Object.fromEntries(Object.entries(inv.groups[g]!.vars).filter(([k]) => !gen.k.vars.has(k)));
      if (!members.length && !Object.keys(gv).length) continue;
      groups[g] = { hosts: members, ...(Object.keys(gv).length ? { vars: gv } : {}) };
    }
    if (Object.keys(groups).length) out.groups = groups;
    const shared = Object.fromEntries(Object.entries(inv.groups.all?.vars ?? {}).filter(([k]) => !gen.k.vars.has(k) && !CONNECTION_VARS.has(k)));
    if (Object.keys(shared).length) out.vars = shared;
  }
  out.components = { [gen.component]: component };
  const doc = new Document(out);
  doc.commentBefore = ` Written by helix port${inv ? ` from ${gen.label(inv.file)}` : ''}. Review every TODO(port).\n Kubernetes: helix uses KUBECONFIG / ~/.kube/config unless \`kubernetes: { kubeconfig, context }\` is set here.`;
  for (const [path, key, text] of todos) comment(doc, path, key, text);
  gen.write(`inventory/${env}.yaml`, String(doc));
}
