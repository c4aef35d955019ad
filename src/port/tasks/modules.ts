/**
 * Ansible module names: every spelling the port recognises (short, `ansible.builtin.`,
 * `ansible.legacy.`, collection FQCNs and old names) mapped to one canonical name.
 */
const COLLECTION_ALIASES: Record<string, string> = {
  'kubernetes.core.k8s': 'k8s',
  'community.kubernetes.k8s': 'k8s',
  'community.kubernetes.k8s_raw': 'k8s',
  k8s_raw: 'k8s',
  'kubernetes.core.k8s_info': 'k8s_info',
  'community.kubernetes.k8s_info': 'k8s_info',
  k8s_facts: 'k8s_info',
  'kubernetes.core.helm': 'helm',
  'community.kubernetes.helm': 'helm',
  'kubernetes.core.helm_repository': 'helm_repository',
  'community.kubernetes.helm_repository': 'helm_repository',
  'kubernetes.core.k8s_exec': 'k8s_exec',
  'kubernetes.core.k8s_log': 'k8s_log',
  'kubernetes.core.k8s_scale': 'k8s_scale',
  'community.general.keycloak_client': 'keycloak_client',
  'community.general.keycloak_realm': 'keycloak_realm',
  'community.general.keycloak_user': 'keycloak_user',
  'community.general.keycloak_role': 'keycloak_role',
  'community.general.keycloak_clientscope': 'keycloak_clientscope',
  'community.general.github_deploy_key': 'github_deploy_key',
  'community.general.pip': 'pip',
  include: 'include_tasks',
  systemd_service: 'systemd',
  'ansible.posix.synchronize': 'synchronize',
  'ansible.posix.authorized_key': 'authorized_key',
};

/** Modules whose free-form text is a command line, not `key=value` options. */
export const FREE_FORM = new Set(['command', 'shell', 'raw', 'script', 'include_tasks', 'import_tasks', 'include_vars', 'win_shell']);

/** Keys `command`/`shell` take inline after the command line. */
export const COMMAND_INLINE_KEYS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

/** The canonical name of a module key as written. */
export function canonicalModule(key: string): string {
  if (COLLECTION_ALIASES[key]) return COLLECTION_ALIASES[key]!;
  const m = /^ansible\.(?:builtin|legacy)\.(.+)$/.exec(key);
  if (m) return COLLECTION_ALIASES[m[1]!] ?? m[1]!;
  const c = /^[a-z0-9_]+\.[a-z0-9_]+\.(.+)$/.exec(key);
  if (c) return COLLECTION_ALIASES[key] ?? key;
  return key;
}

/** Task keywords: everything on a task that is not its module. */
export const TASK_KEYWORDS = new Set([
  'name',
  'when',
  'loop',
  'loop_control',
  'register',
  'until',
  'retries',
  'delay',
  'failed_when',
  'changed_when',
  'ignore_errors',
  'ignore_unreachable',
  'no_log',
  'delegate_to',
  'delegate_facts',
  'run_once',
  'become',
  'become_user',
  'become_method',
  'become_flags',
  'become_exe',
  'tags',
  'notify',
  'listen',
  'vars',
  'environment',
  'check_mode',
  'diff',
  'args',
  'action',
  'local_action',
  'async',
  'poll',
  'throttle',
  'any_errors_fatal',
  'collections',
  'module_defaults',
  'timeout',
  'debugger',
  'remote_user',
  'connection',
  'port',
  'block',
  'rescue',
  'always',
]);

export function isLoopKeyword(key: string): boolean {
  return key === 'loop' || key.startsWith('with_');
}
