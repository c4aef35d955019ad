import { describe, expect, it } from 'vitest';
import * as ssh from '../../../src/modules/ssh/index.ts';
import { parseDpkg, parsePipList } from '../../../src/modules/ssh/package.ts';
import { parseFacts } from '../../../src/modules/ssh/facts.ts';
import { context, problems, runTask } from './context.ts';

describe('ssh.package', () => {
  it('reads installed apt packages from dpkg-query', () => {
    const out = ['coreutils\tii \t9.1-1', 'libfoo:amd64\tii \t1.2', 'removed\trc \t1.0', 'half\tiU \t2.0', ''].join('\n');
    expect(parseDpkg(out)).toEqual({ coreutils: '9.1-1', libfoo: '1.2' });
  });

  it('reads pip list JSON with normalized names', () => {
    expect(parsePipList('[{"name":"Foo_Bar","version":"1.0"},{"name":"requests","version":"2.32.3"}]')).toEqual({ 'foo-bar': '1.0', requests: '2.32.3' });
    expect(parsePipList('not json')).toEqual({});
  });

  it('validates names', () => {
    expect(problems(ssh.package('p', { names: [], manager: 'apt' }))).toContain('names is empty');
    expect(problems(ssh.package('p', { names: ['Bad Name'], manager: 'apt' })).join()).toMatch(/invalid apt package name/);
    expect(problems(ssh.package('p', { names: ['-oops'] })).join()).toMatch(/cannot start with "-"/);
    expect(problems(ssh.package('p', { names: ['requests==2.32.3'], manager: 'pip' }))).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('plans nothing for an installed apt package (second-run row)', async () => {
    const r = await runTask(ssh.package('coreutils', { names: ['coreutils'], manager: 'apt' }), context());
    expect(r.keys).toEqual([]);
    expect(r.result).toMatchObject({ manager: 'apt', installed: { coreutils: expect.any(String) } });
  });

  it.runIf(process.platform === 'linux')('plans an install for a missing apt package, without running it in check mode', async () => {
    const r = await runTask(ssh.package('missing', { names: ['helix-no-such-package'], manager: 'apt', become: true }), context(), 'check');
    expect(r.keys).toEqual(['create package:localhost:apt/helix-no-such-package']);
  });

  it.runIf(process.platform === 'linux')('runs the pip a function gives (a virtualenv under the home facts name)', async () => {
    const r = await runTask(
      ssh.package('missing', { names: ['helix-no-such-package'], manager: 'pip', pip: () => ['python3', '-m', 'pip'] }),
      context(),
      'check',
    );
    expect(r.keys).toEqual(['create package:localhost:pip/helix-no-such-package']);
  });
});

describe('facts', () => {
  it('parses the facts script output', () => {
    const f = parseFacts(
      [
        'kernel=Linux',
        'arch=aarch64',
        'user=helix1',
        'uid=1001',
        'home=/home/helix1',
        'shell=/bin/bash',
        'os.ID=debian',
        'os.VERSION_ID="12"',
        'os.PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        'init=systemd',
        'has=apt-get',
        'has=sudo',
      ].join('\n'),
    );
    expect(f).toEqual({
      os: { kernel: 'Linux', id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)' },
      arch: 'aarch64',
      user: 'helix1',
      uid: 1001,
      home: '/home/helix1',
      shell: '/bin/bash',
      init: 'systemd',
      commands: ['apt-get', 'sudo'],
    });
  });
});

describe('ssh.service', () => {
  it('validates the service name and state', () => {
    expect(problems(ssh.service('s', { service: 'nginx; rm', state: 'restarted' })).join()).toMatch(/invalid service name/);
    expect(problems(ssh.service('s', { service: 'nginx.service', state: 'reloaded' }))).toEqual([]);
  });
});
