import { T } from '../ptype.ts';
import { arrow, type Code, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { pyRegex } from '../jinja/regex.ts';
import type { Binding } from '../jinja/scope.ts';
import { type MapCx, type Mapped, only, type ResultShape, fileArgument, staticBool, staticString, str, todo, value } from './context.ts';

const FILE_RESULT: ResultShape = {
  type: T.object({ path: T.string }),
  member: (r, n) => (n === 'path' || n === 'dest' ? { code: `${r}.path`, type: T.string } : undefined),
};

/** Arguments ssh file tasks ignore safely (Ansible behaviour toggles with no effect here). */
const HARMLESS = ['backup', 'force', 'unsafe_writes', 'follow', 'validate_certs'];

function pathOption(cx: MapCx, key: string, as = 'path'): [string, Code] {
  const p = str(cx.task.args[key], cx.scope);
  return [as, raw(p.ctx ? `(ctx) => ${p.code}` : p.code)];
}

/** `mode: 0644` (YAML 1.1 reads it as the number 420) or `'0644'` / `u=rw,g=r`. */
function modeOption(cx: MapCx): [string, Code][] {
  const m = cx.task.args.mode;
  if (m === undefined) return [];
  if (typeof m === 'number') return [['mode', raw(quote(`0${m.toString(8)}`))]];
  const s = String(m);
  if (/^0?[0-7]{3,4}$/.test(s)) return [['mode', raw(quote(s.length === 3 ? `0${s}` : s))]];
  todo('module-args', `mode: ${s} (symbolic modes are not translated)`);
}

function ownerOptions(cx: MapCx): [string, Code][] {
  const out: [string, Code][] = [];
  for (const k of ['owner', 'group'] as const) {
    const v = cx.task.args[k];
    if (v === undefined) continue;
    const s = str(v, cx.scope);
    if (s.ctx) todo('module-args', `${k}: computed from earlier results`);
    out.push([k, raw(s.code)]);
  }
  return out;
}

/** `file`: directory, absent, or an existing file's mode → `ssh.file`. */
export function mapFile(cx: MapCx): Mapped {
  only(cx, ['path', 'dest', 'name', 'state', 'mode', 'owner', 'group'], HARMLESS);
  const a = cx.task.args;
  const key = a.path !== undefined ? 'path' : a.dest !== undefined ? 'dest' : 'name';
  const state = a.state ?? 'file';
  if (!['directory', 'absent', 'file'].includes(String(state)))
    todo('module-args', `state: ${String(state)} (ssh.file manages files, directories and absence)`);
  if (state === 'file' && a.mode === undefined && a.owner === undefined && a.group === undefined) todo('module-args', 'state: file with nothing to set');
  const ssh = cx.module('ssh');
  return {
    kind: 'task',
    fn: `${ssh}.file`,
    options: [pathOption(cx, key), ['state', raw(quote(String(state)))], ...modeOption(cx), ...ownerOptions(cx)],
    result: FILE_RESULT,
  };
}

/** `copy`: `content:` → `ssh.file`; `src:` → `ssh.copy` from the file copied next to the playbook. */
export function mapCopy(cx: MapCx): Mapped {
  only(cx, ['src', 'dest', 'content', 'mode', 'owner', 'group', 'remote_src', 'directory_mode'], HARMLESS);
  const a = cx.task.args;
  const ssh = cx.module('ssh');
  if (a.remote_src !== undefined && staticBool(cx, 'remote_src')) todo('module-args', 'remote_src: a copy on the host');
  if (a.content !== undefined) {
    const v = value(a.content, cx.scope, { secretOk: () => true });
    return {
      kind: 'task',
      fn: `${ssh}.file`,
      options: [pathOption(cx, 'dest', 'path'), ['content', v.ctx ? arrow('(ctx)', v.code) : v.code], ...modeOption(cx), ...ownerOptions(cx)],
      result: FILE_RESULT,
    };
  }
  const src = fileArgument(cx, 'src');
  if (!src) todo('module-args', 'copy without src or content');
  const url = cx.fileUrl(src);
  if (!url) todo('module-args', `src: ${src} not found in files/`);
  // Ansible copies a folder named without a trailing `/` into dest (dest/<name>); ssh.copy copies content.
  if (url.includes("/', import.meta.url)") && !src.endsWith('/'))
    todo('module-args', `src: ${src} is a folder without a trailing /: Ansible copies it into dest/<name>`);
  const dirMode =
    a.directory_mode !== undefined
      ? [['dirMode', raw(quote(String(typeof a.directory_mode === 'number' ? `0${a.directory_mode.toString(8)}` : a.directory_mode)))] as [string, Code]]
      : [];
  return {
    kind: 'task',
    fn: `${ssh}.copy`,
    options: [['src', raw(url)], pathOption(cx, 'dest', 'dest'), ...modeOption(cx), ...dirMode, ...ownerOptions(cx)],
    result: FILE_RESULT,
  };
}

/** `lineinfile` → `ssh.line` (regexps become RegExp literals). */
export function mapLineinfile(cx: MapCx): Mapped {
  // ssh.line keeps a file's owner and group and sets neither: `owner:`/`group:` are TODOs.
  only(cx, ['path', 'dest', 'name', 'line', 'regexp', 'state', 'insertafter', 'insertbefore', 'create', 'mode'], HARMLESS);
  const a = cx.task.args;
  const key = a.path !== undefined ? 'path' : a.dest !== undefined ? 'dest' : 'name';
  const opts: [string, Code][] = [pathOption(cx, key)];
  if (a.line !== undefined) {
    const l = str(a.line, cx.scope);
    if (l.ctx) todo('module-args', 'line: computed from earlier results');
    opts.push(['line', raw(l.code)]);
  }
  const re = (k: string): string => {
    const v = staticString(cx, k)!;
    return pyRegex(v, '', '');
  };
  if (a.regexp !== undefined) opts.push(['regexp', raw(re('regexp'))]);
  if (a.state !== undefined) opts.push(['state', raw(quote(String(a.state)))]);
  if (a.insertafter !== undefined) opts.push(['insertAfter', raw(a.insertafter === 'EOF' ? "'EOF'" : re('insertafter'))]);
  if (a.insertbefore !== undefined) opts.push(['insertBefore', raw(a.insertbefore === 'BOF' ? "'BOF'" : re('insertbefore'))]);
  if (a.create !== undefined && staticBool(cx, 'create')) opts.push(['create', raw('true')]);
  const ssh = cx.module('ssh');
  return { kind: 'task', fn: `${ssh}.line`, options: [...opts, ...modeOption(cx)], result: FILE_RESULT };
}

/**
 * `template` → `ssh.template` with the `.j2` converted to Handlebars, or `ssh.file` with the
 * TypeScript render function's text. A file rendered only to be applied (`k8s: src:`) is
 * not written at all: the later k8s task applies the rendered text directly.
 */
export function mapTemplate(cx: MapCx, appliedLater: boolean): Mapped {
  only(cx, ['src', 'dest', 'mode', 'owner', 'group', 'trim_blocks', 'lstrip_blocks', 'newline_sequence'], HARMLESS);
  const a = cx.task.args;
  const src = fileArgument(cx, 'src');
  if (!src) todo('module-args', 'template without src');
  const ref = cx.template(src);
  if (!ref) todo('template-unsupported', `template ${src} not found`);
  const rendered = cx.renderTemplate(ref);
  if (appliedLater && typeof a.dest === 'string') {
    cx.earlier.renderedFiles.set(
      a.dest,
      rendered.kind === 'hbs' ? { text: rendered.vars, hbs: { source: rendered.source, vars: rendered.vars } } : { text: rendered.text },
    );
    return { kind: 'inline', lines: [`// rendered by the k8s task that applies ${a.dest}`] };
  }
  const ssh = cx.module('ssh');
  if (rendered.kind === 'hbs') {
    const vars = rendered.vars.ctx ? arrow('(ctx)', rendered.vars.code) : rendered.vars.code;
    const srcEntries = /^\{ src: (.*) \}$/.exec(rendered.source);
    return {
      kind: 'task',
      fn: `${ssh}.template`,
      options: [
        pathOption(cx, 'dest', 'path'),
        ['src', raw(srcEntries ? srcEntries[1]! : rendered.source)],
        ['vars', vars],
        ...modeOption(cx),
        ...ownerOptions(cx),
      ],
      result: FILE_RESULT,
    };
  }
  return {
    kind: 'task',
    fn: `${ssh}.file`,
    options: [
      pathOption(cx, 'dest', 'path'),
      ['content', rendered.text.ctx ? arrow('(ctx)', rendered.text.code) : rendered.text.code],
      ...modeOption(cx),
      ...ownerOptions(cx),
    ],
    result: FILE_RESULT,
  };
}

/** `tempfile` → `mktemp` on the host (result `.path`). */
export function mapTempfile(cx: MapCx): Mapped {
  only(cx, ['state', 'prefix', 'suffix', 'path']);
  const a = cx.task.args;
  const dir = a.state === 'directory';
  const template = `${a.path ?? '/tmp'}/${a.prefix ?? 'ansible.'}XXXXXXXX${a.suffix ?? ''}`;
  const argv = ['mktemp', ...(dir ? ['-d'] : []), template].map((w) => quote(String(w))).join(', ');
  const fn = cx.local ? `${cx.module('exec')}.run` : `${cx.module('ssh')}.exec`;
  const extra: [string, Code][] = cx.local ? [['idempotent', raw('false')]] : [];
  return {
    kind: 'task',
    fn,
    options: [['argv', raw(`[${argv}]`)], ...extra],
    result: { type: T.any, member: (r, n) => (n === 'path' ? { code: `${r}.stdout.trim()`, type: T.string } : undefined) },
  };
}

/** `slurp` on this machine → a read-only `exec.query` (`content` is base64, as in Ansible). */
export function mapSlurp(cx: MapCx): Mapped {
  only(cx, ['src', 'path']);
  const a = cx.task.args;
  const p = str(a.src ?? a.path, cx.scope);
  if (!cx.local) {
    // On a host: a read-only `base64` of the file, which is what slurp's `content` is.
    const ssh = cx.module('ssh');
    return {
      kind: 'task',
      fn: `${ssh}.query`,
      options: [['argv', raw(p.ctx ? `(ctx) => ['base64', '-w0', ${p.code}]` : `['base64', '-w0', ${p.code}]`)]],
      result: {
        type: T.any,
        member: (r, n) => (n === 'content' ? { code: `${r}.stdout`, type: T.string } : n === 'source' ? { code: p.code, type: T.string } : undefined),
      },
    };
  }
  const exec = cx.module('exec');
  return {
    kind: 'task',
    fn: `${exec}.query`,
    options: [['argv', raw(p.ctx ? `(ctx) => ['cat', ${p.code}]` : `['cat', ${p.code}]`)]],
    result: {
      type: T.any,
      member: (r, n) =>
        n === 'content'
          ? { code: `Buffer.from(${r}.stdout).toString('base64')`, type: T.string }
          : n === 'source'
            ? { code: p.code, type: T.string }
            : undefined,
    },
  };
}

/** `stat`'s result read the way Ansible's `result.stat` reads (links are followed, as `follow: true`). */
const STAT_FIELDS: Record<string, (r: string) => Binding> = {
  exists: (r) => ({ code: `${r}.exists`, type: T.boolean }),
  isdir: (r) => ({ code: `(${r}.type === 'directory')`, type: T.boolean }),
  isreg: (r) => ({ code: `(${r}.type === 'file')`, type: T.boolean }),
  mode: (r) => ({ code: `(${r}.mode ?? 0).toString(8).padStart(4, '0')`, type: T.string }),
  pw_name: (r) => ({ code: `${r}.owner`, type: T.string, opt: true }),
  gr_name: (r) => ({ code: `${r}.group`, type: T.string, opt: true }),
  size: (r) => ({ code: `${r}.size`, type: T.number, opt: true }),
  path: (r) => ({ code: `${r}.path`, type: T.string }),
};

/**
 * `stat`: `ssh.stat` (on the play's hosts, or this machine for a local play): what the path
 * is, read while planning. Only the attributes helix reads are mapped (`exists`, `isdir`,
 * `isreg`, `mode`, `pw_name`, `gr_name`, `size`); others (`checksum`, `islnk` …) are TODOs.
 */
export function mapStat(cx: MapCx): Mapped {
  only(cx, ['path', 'follow'], ['get_checksum', 'get_md5', 'get_mime', 'get_attributes', 'checksum_algorithm']);
  const a = cx.task.args;
  if (a.follow === false || a.follow === 'no' || a.follow === 'false') todo('module-args', 'follow: false (ssh.stat follows links)');
  const p = str(a.path, cx.scope);
  const ssh = cx.module('ssh');
  return {
    kind: 'task',
    fn: `${ssh}.stat`,
    options: [['path', raw(p.ctx ? `(ctx) => ${p.code}` : p.code)]],
    result: {
      type: T.any,
      member: (r, n) => {
        if (n !== 'stat') return undefined;
        const ctx = /\bctx\b/.test(r);
        return {
          code: r,
          type: T.any,
          ctx,
          member: (f) => {
            const b = STAT_FIELDS[f]?.(r);
            return b && { ...b, ctx };
          },
        };
      },
    },
  };
}
