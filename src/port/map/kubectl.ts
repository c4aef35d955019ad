import { T } from '../ptype.ts';
import { arr, arrow, type Code, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { GET_RESULT } from './k8s.ts';
import { type MapCx, type Mapped, str, todo } from './context.ts';
import { how, shellWords } from './command.ts';

const KINDS: Record<string, [string, string]> = {
  ns: ['v1', 'Namespace'],
  namespace: ['v1', 'Namespace'],
  namespaces: ['v1', 'Namespace'],
  cm: ['v1', 'ConfigMap'],
  configmap: ['v1', 'ConfigMap'],
  configmaps: ['v1', 'ConfigMap'],
  secret: ['v1', 'Secret'],
  secrets: ['v1', 'Secret'],
  svc: ['v1', 'Service'],
  service: ['v1', 'Service'],
  services: ['v1', 'Service'],
  sa: ['v1', 'ServiceAccount'],
  serviceaccount: ['v1', 'ServiceAccount'],
  pvc: ['v1', 'PersistentVolumeClaim'],
  persistentvolumeclaim: ['v1', 'PersistentVolumeClaim'],
  pod: ['v1', 'Pod'],
  pods: ['v1', 'Pod'],
  deploy: ['apps/v1', 'Deployment'],
  deployment: ['apps/v1', 'Deployment'],
  deployments: ['apps/v1', 'Deployment'],
  sts: ['apps/v1', 'StatefulSet'],
  statefulset: ['apps/v1', 'StatefulSet'],
  ds: ['apps/v1', 'DaemonSet'],
  daemonset: ['apps/v1', 'DaemonSet'],
  job: ['batch/v1', 'Job'],
  jobs: ['batch/v1', 'Job'],
  cronjob: ['batch/v1', 'CronJob'],
  ing: ['networking.k8s.io/v1', 'Ingress'],
  ingress: ['networking.k8s.io/v1', 'Ingress'],
  httproute: ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  httproutes: ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
};

interface Cli {
  args: string[];
  flags: Map<string, string | true>;
}

/** Parses `kubectl` / `helm` arguments after the program: positionals and flags. */
function parse(words: string[]): Cli {
  const args: string[] = [];
  const flags = new Map<string, string | true>();
  const valued = new Set(['-n', '--namespace', '--kubeconfig', '--context', '-o', '--output', '--timeout', '--for', '-f', '--filename', '-l', '--selector']);
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('--') && w.includes('=')) {
      const eq = w.indexOf('=');
      flags.set(w.slice(0, eq), w.slice(eq + 1));
    } else if (valued.has(w) && i + 1 < words.length) flags.set(w, words[++i]!);
    else if (w.startsWith('-')) flags.set(w, true);
    else args.push(w);
  }
  return { args, flags };
}

function isKubectl(words: string[]): number {
  if (words[0] && /(^|\/)kubectl$|kubectl/.test(words[0]) && !/\s/.test(words[0].replace(/\{\{.*?\}\}/g, ''))) return 1;
  if (words[0]?.endsWith('microk8s') && words[1] === 'kubectl') return 2;
  return 0;
}

function ms(timeout: string | true | undefined): Code[] {
  if (typeof timeout !== 'string') return [];
  const m = /^(\d+)(s|m|h)?$/.exec(timeout);
  if (!m) return [];
  const n = Number(m[1]) * ({ s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'] ?? 1000);
  return [raw(String(n))];
}

/** `kind/name` or `kind name`, with the kind known. */
function target(cx: MapCx, cli: Cli, from: number): { apiVersion: string; kind: string; name: Code } | undefined {
  let kindWord = cli.args[from];
  let nameWord = cli.args[from + 1];
  if (kindWord?.includes('/')) [kindWord, nameWord] = kindWord.split('/', 2) as [string, string];
  if (!kindWord || !nameWord || cli.args.length > from + (cli.args[from]!.includes('/') ? 1 : 2)) return undefined;
  const k = KINDS[kindWord.toLowerCase()];
  if (!k) return undefined;
  const name = str(nameWord, cx.scope);
  if (name.ctx) return undefined;
  return { apiVersion: k[0], kind: k[1], name: raw(name.code) };
}

function ns(cx: MapCx, cli: Cli): [string, Code][] {
  const n = cli.flags.get('-n') ?? cli.flags.get('--namespace');
  if (typeof n !== 'string') return [];
  const t = str(n, cx.scope);
  if (t.ctx) todo('module-args', 'namespace: computed from earlier results');
  return [['namespace', raw(t.code)]];
}

/**
 * Command lines that are really Kubernetes or Helm tasks (the heredoc `kubectl apply -f -`,
 * `kubectl delete|rollout status|wait|get`, `helm uninstall`, `helm repo add|update`),
 * recognised so they become typed, idempotent helix tasks instead of shell.
 */
export function recogniseCli(cx: MapCx, line: string): Mapped | undefined {
  // `kubectl apply -f - <<EOF`, or `cat <<EOF | kubectl apply -f -`.
  const piped = /^cat[ \t]*<<-?[ \t]*(['"]?)(\w+)\1[ \t]*\|[ \t]*([^\n]+?)[ \t]*\n([\s\S]*?)\n[ \t]*\2[ \t]*$/.exec(line.trim());
  const heredoc = piped
    ? [piped[0], piped[3]!, piped[1]!, piped[2]!, piped[4]!]
    : /^([^\n]*?)<<-?\s*(['"]?)(\w+)\2[ \t]*\n([\s\S]*?)\n[ \t]*\3[ \t]*$/.exec(line.trim());
  if (heredoc) {
    const words = shellWords(heredoc[1]!.trim());
    if (!words) return undefined;
    const at = isKubectl(words);
    if (!at) return undefined;
    const cli = parse(words.slice(at));
    if (cli.args[0] !== 'apply' || (cli.flags.get('-f') ?? cli.flags.get('--filename')) !== '-') return undefined;
    const body = heredoc[4]!;
    // Unquoted heredocs expand `$` in the shell after Jinja ran.
    if (!heredoc[2] && /\$[{(\w]/.test(body.replace(/\{\{[\s\S]*?\}\}/g, ''))) return undefined;
    const text = str(dedent(body), cx.scope);
    cx.note('kubectl apply with a heredoc became k8s.apply (server-side apply, real diffs)');
    const k8s = cx.module('k8s');
    return {
      kind: 'task',
      fn: `${k8s}.apply`,
      options: [['manifests', text.ctx ? arrow('(ctx)', arr([raw(text.code)])) : arr([raw(text.code)])], ...ns(cx, cli)],
      result: { type: T.array(T.any) },
      handled: ['changedWhen', 'environment'],
    };
  }
  const words = shellWords(line, how(cx));
  if (!words) return undefined;
  const k = isKubectl(words);
  if (k) {
    const cli = parse(words.slice(k));
    const k8s = (): string => cx.module('k8s');
    switch (cli.args[0]) {
      case 'delete': {
        const t = target(cx, cli, 1);
        if (!t) return undefined;
        const waitFlag = cli.flags.get('--wait');
        return {
          kind: 'task',
          fn: `${k8s()}.remove`,
          options: [
            ['apiVersion', raw(quote(t.apiVersion))],
            ['kind', raw(quote(t.kind))],
            ['name', t.name],
            ...ns(cx, cli),
            ['wait', raw(String(waitFlag !== 'false'))],
          ],
          result: { type: T.array(T.any) },
          handled: ['changedWhen', 'failedWhen', 'environment'],
        };
      }
      case 'rollout':
      case 'wait': {
        const t = target(cx, cli, cli.args[0] === 'rollout' ? 2 : 1);
        if (!t || (cli.args[0] === 'rollout' && cli.args[1] !== 'status')) return undefined;
        let waitFor: Code = raw("'rollout'");
        if (cli.args[0] === 'wait') {
          const f = cli.flags.get('--for');
          const m = typeof f === 'string' ? /^condition=(\w+)(?:=(True|False|Unknown))?$/.exec(f) : null;
          if (!m) return undefined;
          waitFor = raw(`{ condition: ${quote(m[1]!)}${m[2] ? `, status: ${quote(m[2])}` : ''} }`);
        }
        const timeout = ms(cli.flags.get('--timeout'));
        return {
          kind: 'task',
          fn: `${k8s()}.wait`,
          options: [
            ['apiVersion', raw(quote(t.apiVersion))],
            ['kind', raw(quote(t.kind))],
            ['name', t.name],
            ...ns(cx, cli),
            ['for', waitFor],
            ...timeout.map((c) => ['timeoutMs', c] as [string, Code]),
          ],
          result: GET_RESULT,
          handled: ['changedWhen', 'environment'],
        };
      }
      case 'get': {
        const t = target(cx, cli, 1);
        if (!t) return undefined;
        return {
          kind: 'task',
          fn: `${k8s()}.get`,
          options: [['apiVersion', raw(quote(t.apiVersion))], ['kind', raw(quote(t.kind))], ['name', t.name], ...ns(cx, cli)],
          result: {
            type: T.any,
            member: (r, n) =>
              n === 'stdout' ? { code: `JSON.stringify(${r} ?? null)`, type: T.string } : n === 'rc' ? { code: `(${r} ? 0 : 1)`, type: T.number } : undefined,
          },
          handled: ['changedWhen', 'failedWhen', 'environment'],
        };
      }
    }
    return undefined;
  }
  if (words[0] && /(^|\/)helm$/.test(words[0])) {
    const cli = parse(words.slice(1));
    if (cli.args[0] === 'repo' && cli.args[1] === 'update')
      return { kind: 'dropped', why: 'helm repo update (helm.release reads the chart from its repo URL)' };
    if (cli.args[0] === 'repo' && cli.args[1] === 'add' && cli.args[2] && cli.args[3]) {
      cx.earlier.helmRepos.set(cli.args[2], cli.args[3]);
      return { kind: 'dropped', why: `helm repo add ${cli.args[2]} (helm.release takes the repo URL itself)` };
    }
    if ((cli.args[0] === 'uninstall' || cli.args[0] === 'delete') && cli.args[1]) {
      const namespace = ns(cx, cli);
      if (!namespace.length) return undefined;
      const helm = cx.module('helm');
      return {
        kind: 'task',
        fn: `${helm}.uninstall`,
        name: raw(str(cli.args[1], cx.scope).code),
        options: namespace,
        handled: ['changedWhen', 'failedWhen', 'environment'],
      };
    }
  }
  return undefined;
}

/** Removes the indentation every non-empty line shares (a heredoc inside an indented YAML block). */
function dedent(text: string): string {
  const lines = text.split('\n');
  const width = Math.min(...lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)![0].length));
  return `${lines.map((l) => l.slice(Math.min(width, l.length))).join('\n')}\n`;
}
