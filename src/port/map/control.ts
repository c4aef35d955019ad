import { arrow, type Code, raw } from '../emit/code.ts';
import { asString, knownBool, lit, PREC, quote, type Ts, wrap } from '../jinja/code.ts';
import { T } from '../ptype.ts';
import { type MapCx, type Mapped, conds, millis, only, str, todo, value } from './context.ts';
import { translateSource } from '../jinja/translate.ts';

/** `debug` → `lib.debug`, logging the message through the run's events (masked). */
export function mapDebug(cx: MapCx): Mapped {
  only(cx, ['msg', 'var'], ['verbosity']);
  const a = cx.task.args;
  let body: Code;
  if (a.var !== undefined) {
    const e = translateSource(String(a.var), cx.scope);
    body = raw(e.code);
  } else {
    const v = value(a.msg ?? 'Hello world!', cx.scope);
    body = v.code;
  }
  const debug = cx.lib('debug');
  return { kind: 'task', fn: debug, options: [['msg', arrow(/\bctx\b/.test(JSON.stringify(body)) ? '(ctx)' : '()', body)]], debug: true };
}

/**
 * `assert`: conditions on variables only are checked while the playbook is built, before
 * anything runs (a validation problem); conditions on earlier results become `lib.check`.
 */
export function mapAssert(cx: MapCx): Mapped {
  only(cx, ['that', 'msg', 'fail_msg', 'success_msg', 'quiet']);
  const a = cx.task.args;
  const that = Array.isArray(a.that) ? a.that : [a.that];
  const c =
    conds(
      that.map((x) => (typeof x === 'boolean' ? x : String(x))),
      cx.scope,
    ) ?? lit(true);
  const msg = a.fail_msg ?? a.msg ?? `assertion failed: ${that.join(' and ')}`;
  const when = conds(cx.task.when, cx.scope);
  const m = asString(translateMsg(msg, cx));
  if (!c.ctx && !m.ctx && !when?.ctx && !cx.task.loop) {
    // The task's `when` is part of the test here, so the step emitter must not add it again.
    return validation(cx, when ? `${wrap(when, PREC.and)} && !${wrap(c, PREC.unary)}` : `!${wrap(c, PREC.unary)}`, m);
  }
  return { kind: 'task', fn: cx.lib('check'), options: [['that', raw(`${c.ctx ? '(ctx)' : '()'} => ${wrap(c, PREC.arrow + 1)}`)], message(m)] };
}

/** `fail` → a validation (when its condition reads variables only) or a task that fails when it runs. */
export function mapFail(cx: MapCx): Mapped {
  only(cx, ['msg']);
  const m = asString(translateMsg(cx.task.args.msg ?? 'Failed as requested from task', cx));
  const when = conds(cx.task.when, cx.scope);
  // A condition known false while porting (`token.status != 200` of a Keycloak connection): never fails.
  if (when && knownBool(when) === false)
    return { kind: 'dropped', why: `never fails: when: ${cx.task.when.map(String).join(' and ')} is always false in helix` };
  if (when && !when.ctx && !m.ctx && !cx.task.loop) return validation(cx, when.code, m);
  // Unconditional (in a rescue, say) or on earlier results: fails when it runs, under its own `when`.
  return { kind: 'task', fn: cx.lib('check'), options: [['that', raw('() => false')], message(m)] };
}

function message(m: Ts): [string, Code] {
  return ['message', raw(m.ctx ? `(ctx) => ${m.code}` : m.code)];
}

function validation(cx: MapCx, failIf: string, m: Ts): Mapped {
  const ConfigError = cx.helix('ConfigError');
  return { kind: 'inline', lines: [`if (${failIf}) throw new ${ConfigError}(${m.code}, ${quote(cx.name)});`], consumesWhen: true };
}

function translateMsg(msg: unknown, cx: MapCx) {
  if (Array.isArray(msg)) return str(msg.join('\n'), cx.scope);
  return str(typeof msg === 'string' ? msg : JSON.stringify(msg), cx.scope);
}

/** `pause` → `lib.pause` (a prompt cannot be ported: helix runs unattended). */
export function mapPause(cx: MapCx): Mapped {
  only(cx, ['seconds', 'minutes', 'prompt', 'echo']);
  const a = cx.task.args;
  if (a.prompt !== undefined || (a.seconds === undefined && a.minutes === undefined)) todo('module-args', 'pause with a prompt (helix runs unattended)');
  const ms = a.minutes !== undefined ? raw(`${print(millis(a.minutes, cx.scope))} * 60`) : millis(a.seconds, cx.scope);
  return { kind: 'task', fn: cx.lib('pause'), options: [['ms', ms]] };
}

function print(c: Code): string {
  return c.k === 'raw' ? c.code : JSON.stringify(c);
}

/** `wait_for`: a sleep → `lib.pause`; a TCP port → `lib.waitForPort`. */
export function mapWaitFor(cx: MapCx): Mapped {
  only(cx, ['host', 'port', 'timeout', 'delay', 'state', 'sleep', 'connect_timeout'], ['msg']);
  const a = cx.task.args;
  if (a.state !== undefined && a.state !== 'started' && a.state !== 'present') todo('module-args', `wait_for state: ${String(a.state)}`);
  if (a.port === undefined) {
    if (a.timeout === undefined) todo('module-args', 'wait_for without port or timeout');
    return { kind: 'task', fn: cx.lib('pause'), options: [['ms', millis(a.timeout, cx.scope)]] };
  }
  if (a.delay !== undefined) cx.note('wait_for delay: dropped (the port is probed right away)');
  const host = str(a.host ?? '127.0.0.1', cx.scope);
  const pv = value(a.port, cx.scope);
  if (pv.ctx) todo('module-args', 'port from earlier results');
  const port = pv.type.k === 'number' ? pv.code : raw(`Number(${print(pv.code)})`);
  if (host.ctx) todo('module-args', 'host from earlier results');
  const opts: [string, Code][] = [
    ['host', raw(host.code)],
    ['port', port],
  ];
  if (a.timeout !== undefined) opts.push(['timeoutMs', millis(a.timeout, cx.scope)]);
  return { kind: 'task', fn: cx.lib('waitForPort'), options: opts };
}
