import { TargetError } from '../../runtime/errors.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { type Transport, transportFor } from './transport.ts';

/** What helix knows about a host, gathered once per host and run. */
export interface HostFacts {
  os: {
    /** `uname -s`: `Linux`. */
    kernel: string;
    /** `ID` from /etc/os-release: `debian`, `ubuntu` (empty when unknown). */
    id: string;
    /** `VERSION_ID`: `12`. */
    version: string;
    /** `PRETTY_NAME`: `Debian GNU/Linux 12 (bookworm)`. */
    name: string;
  };
  /** `uname -m`: `x86_64`, `aarch64`. */
  arch: string;
  /** The login user. */
  user: string;
  uid: number;
  home: string;
  /** The login shell. */
  shell: string;
  /** `systemd` when systemd runs the host, else `other`. */
  init: 'systemd' | 'other';
  /** Tools found on the host's PATH, among those tasks use (`apt-get`, `pip3`, `systemctl`, `sudo`…). */
  commands: readonly string[];
}

const TOOLS = ['apt-get', 'dpkg-query', 'pip3', 'python3', 'systemctl', 'service', 'sudo', 'sha256sum', 'stat', 'mktemp'];

/** One round trip: key=value lines. */
export const FACTS_SCRIPT = [
  'printf "kernel=%s\\n" "$(uname -s)"',
  'printf "arch=%s\\n" "$(uname -m)"',
  'printf "user=%s\\n" "$(id -un)"',
  'printf "uid=%s\\n" "$(id -u)"',
  'printf "home=%s\\n" "$HOME"',
  'printf "shell=%s\\n" "${SHELL:-$(getent passwd "$(id -un)" | cut -d: -f7)}"',
  'if [ -r /etc/os-release ]; then sed -n "s/^\\(ID\\|VERSION_ID\\|PRETTY_NAME\\)=/os.\\1=/p" /etc/os-release; fi',
  `for c in ${TOOLS.join(' ')}; do command -v "$c" >/dev/null 2>&1 && printf "has=%s\\n" "$c"; done`,
  '[ -d /run/systemd/system ] && echo init=systemd',
  'exit 0',
].join('\n');

function unquote(v: string): string {
  const m = /^(["'])(.*)\1$/.exec(v);
  return m ? m[2]! : v;
}

/** Parses the facts script's output. */
export function parseFacts(text: string): HostFacts {
  const kv = new Map<string, string>();
  const has: string[] = [];
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = unquote(line.slice(i + 1));
    if (k === 'has') has.push(v);
    else kv.set(k, v);
  }
  return {
    os: { kernel: kv.get('kernel') ?? '', id: kv.get('os.ID') ?? '', version: kv.get('os.VERSION_ID') ?? '', name: kv.get('os.PRETTY_NAME') ?? '' },
    arch: kv.get('arch') ?? '',
    user: kv.get('user') ?? '',
    uid: Number(kv.get('uid') ?? -1),
    home: kv.get('home') ?? '',
    shell: kv.get('shell') ?? '',
    init: kv.get('init') === 'systemd' ? 'systemd' : 'other',
    commands: has,
  };
}

/** The host's facts, gathered on first use and cached on its transport for the run. */
export function gatherFacts(t: Transport): Promise<HostFacts> {
  let p = t.cache.get('facts') as Promise<HostFacts> | undefined;
  if (!p) {
    p = t.check({ argv: ['sh', '-c', FACTS_SCRIPT], readOnly: true }, 'gathering facts').then((r) => {
      const facts = parseFacts(r.stdout);
      if (!facts.home || !facts.user) throw new TargetError(t.label, 'gathering facts: the host did not report its user and home');
      return facts;
    });
    t.cache.set('facts', p);
    p.catch(() => t.cache.delete('facts'));
  }
  return p;
}

/** Facts of the task's host. */
export function hostFacts(ctx: TaskContext): Promise<HostFacts> {
  return gatherFacts(transportFor(ctx));
}
