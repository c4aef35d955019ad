import { T } from '../ptype.ts';
import { PREC } from '../jinja/code.ts';
import type { Binding } from '../jinja/scope.ts';

/**
 * Gathered facts that `ssh.facts` reads the same way Ansible's `setup` does, as fields of
 * its `HostFacts`: `ansible_env.HOME` is the login user's `$HOME`, `architecture` is
 * `uname -m`, `user_id` the login user. Facts it does not read (`os_family`,
 * `distribution_release`, `hostname` …) stay TODOs.
 */
const ENV: Readonly<Record<string, string>> = { HOME: 'home', USER: 'user', SHELL: 'shell' };
const FACTS: Readonly<Record<string, string>> = { architecture: 'arch', user_id: 'user', user_dir: 'home', user_shell: 'shell', user_uid: 'uid' };

/**
 * Bindings of `ansible_env`, `ansible_facts` and the `ansible_<fact>` names they alias, read
 * from an `ssh.facts` step of the play; `facts()` names that step (taken on first read).
 */
export function factBindings(facts: () => string): Record<string, Binding> {
  const field = (f: string): Binding => ({ code: `ctx.result(${facts()}).${f}`, type: f === 'uid' ? T.number : T.string, prec: PREC.primary, ctx: true });
  // Read whole (`ansible_env | to_json`), they would be helix's HostFacts, not Ansible's.
  const env: Binding = {
    get code() {
      return `ctx.result(${facts()})`;
    },
    type: T.any,
    ctx: true,
    member: (n) => (ENV[n] ? field(ENV[n]) : undefined),
  };
  const out: Record<string, Binding> = {
    ansible_env: env,
    ansible_facts: {
      get code() {
        return `ctx.result(${facts()})`;
      },
      type: T.any,
      ctx: true,
      member: (n) => (n === 'env' ? env : FACTS[n] ? field(FACTS[n]) : undefined),
    },
  };
  for (const [fact, f] of Object.entries(FACTS)) {
    out[`ansible_${fact}`] = {
      get code() {
        return field(f).code;
      },
      type: f === 'uid' ? T.number : T.string,
      prec: PREC.primary,
      ctx: true,
    };
  }
  return out;
}
