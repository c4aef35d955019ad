/**
 * What the port read from Ansible, before any translation: plays, roles and their files, each
 * task with its original YAML text (kept verbatim in TODO comments) and its line.
 */

/** A task as written, plus where it came from. */
export interface SourceTask {
  readonly data: Record<string, unknown>;
  /** The task's YAML, dedented, starting with `- `. */
  readonly text: string;
  readonly file: string;
  readonly line: number;
  /** `block:` / `rescue:` / `always:` lists, read with their own texts. */
  readonly children?: Readonly<Partial<Record<'block' | 'rescue' | 'always', readonly SourceTask[]>>>;
}

/** A `!vault` value: its plaintext is not in the file and becomes a secret reference. */
export class VaultValue {
  readonly ciphertext: string;

  constructor(ciphertext: string) {
    this.ciphertext = ciphertext;
  }
}

/** A role named in a play's `roles:` or a `meta/main.yml` dependency. */
export interface RoleRef {
  readonly name: string;
  /** Parameters passed to the role (`vars:` or the legacy inline keys). */
  readonly vars: Record<string, unknown>;
  readonly when?: unknown;
  readonly tags?: unknown;
}

export interface Play {
  readonly file: string;
  readonly line: number;
  readonly index: number;
  readonly name?: string;
  readonly hosts: string;
  readonly connection?: string;
  readonly become?: boolean;
  readonly gatherFacts?: boolean;
  readonly serial?: number;
  readonly vars: Record<string, unknown>;
  readonly varsFiles: readonly string[];
  readonly roles: readonly RoleRef[];
  readonly preTasks: readonly SourceTask[];
  readonly tasks: readonly SourceTask[];
  readonly postTasks: readonly SourceTask[];
  readonly handlers: readonly SourceTask[];
  readonly tags: readonly string[];
  /** Play keywords the port does not carry over (`strategy`, `any_errors_fatal` …). */
  readonly ignored: readonly string[];
  readonly text: string;
}

export interface PlaybookFile {
  readonly file: string;
  readonly plays: readonly Play[];
  /** `import_playbook:` entries, in order (an orchestrator such as `00_install.yaml`). */
  readonly imports: readonly string[];
}

export interface Role {
  /** As referenced: `redis/ephemeral_redis`. */
  readonly name: string;
  readonly dir: string;
  /** Task files by name without extension (`main`, `keycloak_setup`). */
  readonly tasks: Readonly<Record<string, readonly SourceTask[]>>;
  readonly defaults: Record<string, unknown>;
  readonly vars: Record<string, unknown>;
  readonly handlers: readonly SourceTask[];
  /** Template sources by path relative to `templates/`. */
  readonly templates: Readonly<Record<string, string>>;
  /** Paths relative to `files/`. */
  readonly files: readonly string[];
  readonly dependencies: readonly RoleRef[];
}

/** An Ansible inventory: hosts, groups and their variables (with group_vars/host_vars). */
export interface AnsibleInventory {
  /** Environment name: the inventory file's or folder's name. */
  readonly name: string;
  readonly file: string;
  readonly hosts: Readonly<Record<string, Record<string, unknown>>>;
  readonly groups: Readonly<Record<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>>;
}

/** Everything the port found under the input path. */
export interface Project {
  readonly root: string;
  readonly kind: 'playbook' | 'role' | 'folder';
  readonly playbooks: readonly PlaybookFile[];
  /** Roles by reference name, read once. */
  readonly roles: ReadonlyMap<string, Role>;
  /** Role references nobody could find, with the file that asked. */
  readonly missingRoles: readonly { name: string; from: string }[];
  readonly inventories: readonly AnsibleInventory[];
  /** Template sources next to the playbooks (`templates/x.j2`), by path relative to the root. */
  readonly templates: Readonly<Record<string, string>>;
  /** Task files pulled in with include_tasks/import_tasks from outside roles, by path. */
  readonly taskFiles: ReadonlyMap<string, readonly SourceTask[]>;
  /** Files or entries the reader could not use, with the reason. */
  readonly problems: readonly { file: string; message: string }[];
}
