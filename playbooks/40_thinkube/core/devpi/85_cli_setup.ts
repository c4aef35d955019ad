import { readFileSync } from 'node:fs';
import { definePlaybook } from 'helix';
import * as ssh from 'helix/modules/ssh';
import { pipVenv } from '../../../../roles/python/pip_venv.ts';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';
import { checkSystemUser, home, WORKSTATION_GROUP, workstationVars } from './workstation.ts';

/**
 * devpi-client on the admin's workstation, over SSH, as the system user: a venv with the
 * pinned devpi-client, `~/.local/bin/devpi`, and pip pointed at `root/<index>` with
 * certificates verified (no trusted-host, no extra PyPI index: the index inherits root/pypi).
 * With `tls_ca_file` (a private CA, the sandbox's), the CA goes to `~/.local/share/devpi-client/ca.crt`
 * and the `devpi` command trusts it (REQUESTS_CA_BUNDLE); pip is given it by `PIP_CERT`.
 */
export default definePlaybook<DevpiVars>((env) => {
  checkSystemUser(env);
  const v = env.vars;
  const w = workstationVars(env);
  const fromWheelhouse = v.devpi_url !== undefined && v.devpi_client_index_url.startsWith(v.devpi_url);
  return {
    hosts: WORKSTATION_GROUP,
    tasks: [
      // The CA first: its folder is the venv's parent, which the venv task would otherwise make.
      ...(v.tls_ca_file
        ? [
            ssh.file('ca-dir', { path: home(F.caDir), state: 'directory', mode: '0755' }),
            ssh.file('ca-cert', { path: home(F.caCert), content: readFileSync(v.tls_ca_file, 'utf8'), mode: '0644' }),
          ]
        : []),
      pipVenv('devpi-client', {
        venv: F.venv,
        python: v.devpi_client_python,
        package: 'devpi-client',
        version: v.devpi_client_version,
        // The sandbox's devpi is offline: its hosts get the wheels from this machine.
        source: fromWheelhouse ? 'wheelhouse' : { index: v.devpi_client_index_url },
      }),
      ssh.file('bin-dir', { path: home('.local/bin'), state: 'directory', mode: '0755' }),
      ssh.file('devpi-command', {
        path: home(F.bin),
        content: `#!/bin/sh\n# Written by helix (devpi/85_cli_setup).\n${v.tls_ca_file ? `export REQUESTS_CA_BUNDLE="$HOME/${F.caCert}"\n` : ''}exec "$HOME/${F.venv}/bin/devpi" "$@"\n`,
        mode: '0755',
      }),
      ssh.file('pip-config-dir', { path: home('.config/pip'), state: 'directory', mode: '0755' }),
      ssh.template('pip-conf', {
        path: home(F.pipConf),
        src: new URL('./templates/pip.conf.hbs', import.meta.url),
        vars: { indexUrl: w.indexUrl },
        mode: '0644',
      }),
    ],
  };
});
