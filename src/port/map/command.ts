import { T } from '../ptype.ts';
import { arr, arrow, type Code, raw } from '../emit/code.ts';
import { asBool, PREC, quote, wrap } from '../jinja/code.ts';
import { translateString } from '../jinja/inline.ts';
import { type Binding, withBindings } from '../jinja/scope.ts';
import { cond, type MapCx, type Mapped, only, type ResultShape, str, todo, value } from './context.ts';
import { recogniseCli } from './kubectl.ts';

/** Characters that make a command line need a shell (pipes, redirects, expansion, lists). */
const SHELL_SYNTAX = /[|&;<>()$`\\*?[\]~#\n!]|\b(if|then|fi|for|do|done|while|case|esac)\b/;

/** Jinja that may render to no word or several: an inline `if`, a `default('')`, a `join(' ')`. */
const SPLITS = /\bif\b|default\(\s*(''|"")\s*\)|join\(\s*(' '|" ")\s*\)|\+\s*(' |" )/;

/**
 * Removes what `sh` removes before it splits words: a backslash-newline outside single quotes
 * (a line continuation) and the newlines ending the script (`shell: |` blocks end with one).
 */
function shContinuations(line: string): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (line.startsWith('{{', i)) {
      const end = line.indexOf('}}', i);
      if (end < 0) return line;
      out += line.slice(i, end + 2);
      i = end + 1;
      continue;
    }
    if (quote !== "'" && c === '\\') {
      if (line[i + 1] === '\n') {
        i++;
        continue;
      }
      out += line.slice(i, i + 2);
      i++;
      continue;
    }
    if (c === "'" || c === '"') quote = quote === c ? '' : quote || c;
    out += c;
  }
  return out.replace(/\s+$/, '');
}

/**
 * Splits a command line into words the way Ansible would run it, keeping `{{ … }}` whole:
 * `sh` (the `shell` module: line continuations joined) or Python's `shlex.split` (the
 * `command` module: newlines are spaces, so a folded `command: >` is one command). Returns
 * undefined when the line needs a shell to mean what it says.
 */
export function shellWords(text: string, how: 'sh' | 'shlex' = 'sh'): string[] | undefined {
  const line = how === 'sh' ? shContinuations(text) : text.replace(/[\n\t]/g, ' ').trim();
  // An expression that may render to nothing or to several words is split by the shell
  // after Jinja ran; one argument would not mean the same: leave those to the shell.
  const stripped = line
    .replace(/\{\{[\s\S]*?\}\}/g, (e) => (SPLITS.test(e) ? '$' : 'X'))
    .replace(/'[^']*'/g, "''")
    .replace(/"(?:[^"\\$`]|\\.)*"/g, '""');
  if (SHELL_SYNTAX.test(stripped)) return undefined;
  const words: string[] = [];
  let cur = '';
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (line.startsWith('{{', i)) {
      const end = line.indexOf('}}', i);
      cur += line.slice(i, end + 2);
      has = true;
      i = end + 1;
      continue;
    }
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end);
      has = true;
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        // Within double quotes a backslash escapes only $ ` " \ (and a newline); else it stays.
        if (line[j] === '\\' && j + 1 < line.length && '$`"\\'.includes(line[j + 1]!)) j++;
        cur += line[j];
      }
      has = true;
      i = j;
      continue;
    }
    if (/\s/.test(c)) {
      if (has) words.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += c;
    has = true;
  }
  if (has) words.push(cur);
  return words;
}

/** What `exec.run`/`exec.query` return, read with Ansible's names. */
export const EXEC_RESULT: ResultShape = {
  type: T.object({ exitCode: T.number, stdout: T.string, stderr: T.string, ran: T.boolean }),
  member: (r, n) => execMember(r, n, 'exitCode'),
};

/** What `ssh.exec` returns. */
export const SSH_EXEC_RESULT: ResultShape = {
  type: T.object({ code: T.number, stdout: T.string, stderr: T.string, ran: T.boolean }),
  member: (r, n) => execMember(r, n, 'code'),
};

function execMember(r: string, n: string, rc: string): Binding | undefined {
  switch (n) {
    case 'rc':
      return { code: `${r}.${rc}`, type: T.number };
    case 'stdout':
    case 'stderr':
      return { code: `${r}.${n}`, type: T.string };
    case 'stdout_lines':
    case 'stderr_lines':
      return { code: `${r}.${n.replace('_lines', '')}.split('\\n')`, type: T.array(T.string) };
    default:
      return undefined;
  }
}

/** The argv code of a command: from `argv:`, or the words of the command line. */
function argvOf(cx: MapCx, line: string | undefined): { code: Code; ctx: boolean } {
  const a = cx.task.args;
  if (Array.isArray(a.argv)) {
    const v = value(a.argv, cx.scope);
    return { code: v.code, ctx: v.ctx };
  }
  if (line === undefined) todo('module-args', 'no command line');
  if (/^\s*\{\{[^}]*\}\}\s*$/.test(line)) todo('module-args', 'the whole command line comes from a variable: give it as an argument array');
  const words = shellWords(line, how(cx));
  if (!words) todo('module-args', 'the command line needs a shell');
  const parts = words.map((w) => str(w, cx.scope));
  return { code: arr(parts.map((p) => raw(p.code))), ctx: parts.some((p) => p.ctx) };
}

/**
 * `command` / `shell`: an argument array, run locally by `exec.run` (on the machine running
 * helix) or on the host by `ssh.exec`. `creates`/`removes` become the idempotence
 * declaration; `changed_when: false` makes a read-only `exec.query`; a script that needs a
 * shell runs as `sh -c` and is counted as kept, not translated.
 */
export function mapCommand(cx: MapCx): Mapped {
  const t = cx.task;
  const a = t.args;
  only(cx, ['_raw_params', 'cmd', 'argv', 'chdir', 'creates', 'removes', 'stdin', 'executable', 'stdin_add_newline', 'strip_empty_ends'], ['warn']);
  const line = typeof a._raw_params === 'string' ? a._raw_params : typeof a.cmd === 'string' ? a.cmd : undefined;

  // kubectl/helm lines that are really Kubernetes or Helm tasks.
  if (line !== undefined && !Array.isArray(a.argv)) {
    const cli = recogniseCli(cx, line);
    if (cli) return cli;
  }

  let argv: { code: Code; ctx: boolean };
  let real = true;
  const words = line !== undefined && !Array.isArray(a.argv) ? shellWords(line, how(cx)) : [];
  if (words === undefined) {
    if (t.module === 'command') todo('module-args', 'command with shell syntax (it would not have worked in Ansible either)');
    const shell = typeof a.executable === 'string' ? a.executable : '/bin/sh';
    const script = str(line!, cx.scope);
    argv = { code: arr([raw(quote(shell)), raw("'-c'"), raw(script.code)]), ctx: script.ctx };
    real = false;
  } else argv = argvOf(cx, line);

  const opts: [string, Code][] = [['argv', argv.ctx ? arrow('(ctx)', argv.code) : argv.code]];
  const local = cx.local;
  const handled: ('changedWhen' | 'failedWhen' | 'environment')[] = ['environment'];
  if (a.chdir !== undefined) {
    const d = str(a.chdir, cx.scope);
    if (d.ctx && local) todo('module-args', 'chdir: computed from earlier results');
    opts.push(['cwd', raw(local || !d.ctx ? d.code : `(ctx) => ${d.code}`)]);
  }
  if (t.environment !== undefined) {
    if (typeof t.environment !== 'object' || Array.isArray(t.environment)) todo('module-args', 'environment: not a map');
    const env = value(t.environment, cx.scope, { secretOk: () => true });
    opts.push(['env', env.ctx ? arrow('(ctx)', env.code) : env.code]);
  }
  if (a.stdin !== undefined) {
    const v = value(a.stdin, cx.scope, { secretOk: () => true });
    opts.push(['stdin', v.ctx ? arrow('(ctx)', v.code) : v.code]);
  }
  const readOnly = t.changedWhen?.length === 1 && (t.changedWhen[0] === false || t.changedWhen[0] === 'false');
  const outScope = (name: string) =>
    t.register ? withBindings(cx.scope, { [t.register]: { code: name, type: EXEC_RESULT.type, member: (n) => EXEC_RESULT.member!(name, n) } }) : cx.scope;
  const outCond = (src: string | boolean, name: string): string => {
    const c = asBool(cond(src, outScope(name)));
    if (c.ctx) todo('keyword-unsupported', "changed_when/failed_when reading other tasks' results");
    return wrap(c, PREC.arrow + 1);
  };
  const failedWhen = (): void => {
    if (!t.failedWhen || (t.failedWhen.length === 1 && (t.failedWhen[0] === false || t.failedWhen[0] === 'false'))) return;
    opts.push(['failedWhen', raw(`(out) => ${t.failedWhen.map((f) => outCond(f, 'out')).join(' || ')}`)]);
    handled.push('failedWhen');
  };

  if (local) {
    const exec = cx.module('exec');
    if (readOnly && a.creates === undefined && a.removes === undefined) {
      failedWhen();
      handled.push('changedWhen');
      return { kind: 'task', fn: `${exec}.query`, options: opts, result: EXEC_RESULT, handled, real };
    }
    if (a.creates !== undefined) opts.push(['creates', raw(staticPath(cx, 'creates'))]);
    if (a.removes !== undefined) opts.push(['removes', raw(staticPath(cx, 'removes'))]);
    if (a.creates === undefined && a.removes === undefined) opts.push(['idempotent', raw('false')]);
    if (t.changedWhen && !readOnly) {
      opts.push(['changedWhen', raw(`(out) => ${t.changedWhen.map((c) => outCond(c, 'out')).join(' && ')}`)]);
      handled.push('changedWhen');
    } else if (readOnly) {
      opts.push(['changedWhen', raw('() => false')]);
      handled.push('changedWhen');
    }
    failedWhen();
    return { kind: 'task', fn: `${exec}.run`, options: opts, result: EXEC_RESULT, handled, real };
  }

  const ssh = cx.module('ssh');
  const sshScope = (name: string) =>
    t.register
      ? withBindings(cx.scope, { [t.register]: { code: name, type: SSH_EXEC_RESULT.type, member: (n) => SSH_EXEC_RESULT.member!(name, n) } })
      : cx.scope;
  const sshCond = (src: string | boolean, name: string): string => {
    const c = asBool(cond(src, sshScope(name)));
    if (c.ctx) todo('keyword-unsupported', "changed_when/failed_when reading other tasks' results");
    return wrap(c, PREC.arrow + 1);
  };
  const hostFailedWhen = (): void => {
    if (!t.failedWhen || (t.failedWhen.length === 1 && (t.failedWhen[0] === false || t.failedWhen[0] === 'false'))) return;
    opts.push(['failedWhen', raw(`(out) => ${t.failedWhen.map((f) => sshCond(f, 'out')).join(' || ')}`)]);
    handled.push('failedWhen');
  };
  if (a.removes !== undefined) todo('module-args', 'removes: ssh.exec has creates and unless only');
  // `changed_when: false`: a read-only query, run while planning (Ansible reports it never changed).
  if (readOnly && a.creates === undefined && a.stdin === undefined) {
    hostFailedWhen();
    return { kind: 'task', fn: `${ssh}.query`, options: opts, result: SSH_EXEC_RESULT, handled: [...handled, 'changedWhen'], real };
  }
  if (a.creates !== undefined) {
    const c = str(a.creates, cx.scope);
    opts.push(['creates', raw(c.ctx ? `(ctx) => ${c.code}` : c.code)]);
  }
  if (t.changedWhen && !readOnly) opts.push(['changedWhen', raw(`(out) => ${t.changedWhen.map((c) => sshCond(c, 'out')).join(' && ')}`)]);
  else if (readOnly) opts.push(['changedWhen', raw('() => false')]);
  hostFailedWhen();
  return { kind: 'task', fn: `${ssh}.exec`, options: opts, result: SSH_EXEC_RESULT, handled: [...handled, 'changedWhen'], real };
}

/** How Ansible splits the module's command line: `shell` through sh, `command` with shlex. */
export function how(cx: MapCx): 'sh' | 'shlex' {
  return cx.task.module === 'command' ? 'shlex' : 'sh';
}

function staticPath(cx: MapCx, key: string): string {
  const t = translateString(String(cx.task.args[key]), cx.scope);
  if (t.ctx) todo('module-args', `${key}: computed from earlier results`);
  return str(cx.task.args[key], cx.scope).code;
}
