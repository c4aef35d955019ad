import { readFileSync } from 'node:fs';
import { definePlaybook } from 'helix';
import * as ssh from 'helix/modules/ssh';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';
import { checkSystemUser, WORKSTATION_GROUP } from './workstation.ts';

const SCRIPT = readFileSync(new URL('./files/workstation-round-trip.sh', import.meta.url), 'utf8');
const WHEEL = readFileSync(new URL('./files/smoke-wheel.py', import.meta.url), 'utf8');

/**
 * The test on the admin's workstation, over SSH, with what 85_cli_setup installed there:
 * devpi-client (through `~/.local/bin/devpi`) logs in as root, makes a throwaway volatile
 * index, is refused an anonymous upload to it, uploads a package logged in, and pip installs
 * it through the API host; the index is deleted whatever happened. The root password travels on
 * stdin. Reported as a change (it writes, and removes what it wrote).
 */
export default definePlaybook<DevpiVars>((env) => {
  checkSystemUser(env);
  const d = devpi(env);
  const v = d.v;
  return {
    hosts: WORKSTATION_GROUP,
    tasks: [
      ssh.exec('round-trip', {
        // The script (with the wheel maker in front of it) travels on stdin, read whole before it
        // runs, so the command line, and what the run reports, stays one line.
        argv: ['bash', '-c', 'script=$(cat) && exec bash -c "$script" devpi-test'],
        stdin: `WHEEL_MAKER=$(cat <<'HELIX_WHEEL_MAKER'\n${WHEEL}HELIX_WHEEL_MAKER\n)\n${SCRIPT}`,
        env: {
          API_URL: d.apiUrl,
          INDEX: d.indexPath,
          DEVPI_ROOT_PASSWORD: v.devpi_root_password,
          CA_FILE: v.tls_ca_file ? `~/${F.caCert}` : '',
          SHELL_CONFIG: `~/${F.bash}`,
        },
        timeoutMs: 300_000,
      }),
    ],
  };
});
