import { describe, expect, it } from 'vitest';
import * as ssh from '../../../src/modules/ssh/index.ts';
import type { CommandResult } from '../../../src/modules/ssh/command.ts';
import type { HostFacts } from '../../../src/modules/ssh/facts.ts';
import { Transport } from '../../../src/modules/ssh/transport.ts';
import { context, problems, runTask } from './context.ts';

/** A systemd host as systemctl answers: unit state kept in fields, every command line logged. */
class FakeSystemd extends Transport {
  readonly lines: string[] = [];
  active: boolean;
  enabled: boolean;
  needReload: boolean;
  constructor(active: boolean, enabled: boolean, needReload: boolean) {
    super('localhost', true, undefined);
    this.active = active;
    this.enabled = enabled;
    this.needReload = needReload;
    const facts: HostFacts = {
      os: { kernel: 'Linux', id: 'debian', version: '12', name: 'Debian' },
      arch: 'x86_64',
      user: 'u',
      uid: 1000,
      home: '/home/u',
      shell: '/bin/sh',
      init: 'systemd',
      commands: ['systemctl'],
    };
    this.cache.set('facts', Promise.resolve(facts));
  }
  protected async raw(line: string): Promise<CommandResult> {
    const cmd = line.replace(/^.*?systemctl/, 'systemctl');
    this.lines.push(cmd);
    const ok = (b: boolean): CommandResult => ({ code: b ? 0 : 3, stdout: '', stderr: '' });
    if (cmd.includes('NeedDaemonReload')) return { code: 0, stdout: this.needReload ? 'yes\n' : 'no\n', stderr: '' };
    if (cmd.includes('is-active')) return ok(this.active);
    if (cmd.includes('is-enabled')) return ok(this.enabled);
    if (cmd.includes('daemon-reload')) this.needReload = false;
    if (/ enable /.test(cmd)) this.enabled = true;
    if (/ disable /.test(cmd)) this.enabled = false;
    if (/ (start|restart) /.test(cmd)) this.active = true;
    return ok(true);
  }
  close(): void {}
  get label(): string {
    return 'fake';
  }
}

const ctxFor = (t: FakeSystemd) => context({ memo: new Map<string, unknown>([['ssh:localhost', t]]) });

describe('ssh.service: enabled and daemonReload', () => {
  const table: {
    name: string;
    host: [active: boolean, enabled: boolean, needReload: boolean];
    opts: Partial<ssh.ServiceOptions>;
    keys: string[];
    ran: string[];
  }[] = [
    {
      name: 'enable a stopped, disabled unit that changed on disk, and start it',
      host: [false, false, true],
      opts: { enabled: true, daemonReload: true, state: 'started' },
      keys: ['run service:localhost:app', 'run systemd:localhost', 'update service:localhost:app'],
      ran: ['daemon-reload', 'enable', 'start'],
    },
    { name: 'enabled only', host: [true, false, false], opts: { enabled: true }, keys: ['update service:localhost:app'], ran: ['enable'] },
    { name: 'disable', host: [true, true, false], opts: { enabled: false }, keys: ['update service:localhost:app'], ran: ['disable'] },
    {
      name: 'already enabled, running and loaded: nothing',
      host: [true, true, false],
      opts: { enabled: true, daemonReload: true, state: 'started' },
      keys: [],
      ran: [],
    },
  ];
  for (const row of table) {
    it(`${row.name}; a second run plans nothing`, async () => {
      const host = new FakeSystemd(...row.host);
      const task = ssh.service('svc', { service: 'app', ...row.opts });
      expect(problems(task)).toEqual([]);
      const check = await runTask(task, ctxFor(host), 'check');
      expect(check.keys).toEqual(row.keys);
      expect(host.lines.filter((l) => !/is-active|is-enabled|show/.test(l))).toEqual([]);
      await runTask(task, ctxFor(host));
      expect(host.lines.filter((l) => !/is-active|is-enabled|show/.test(l)).map((l) => /daemon-reload|enable|disable|start/.exec(l)?.[0])).toEqual(row.ran);
      expect((await runTask(task, ctxFor(host))).keys).toEqual([]);
    });
  }

  it('needs something to do', () => {
    expect(problems(ssh.service('s', { service: 'app' }))).toEqual(['nothing to do: give state, enabled or daemonReload']);
  });
});
