import { definePlaybook } from '../../../../src/index.ts';
import * as ssh from '../../../../src/modules/ssh/index.ts';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';
import { checkSystemUser, home, WORKSTATION_GROUP } from './workstation.ts';

/**
 * Removes exactly what 85_cli_setup and 86_shell_config wrote on the workstation (the
 * devpi-client venv included, and pip.conf, so pip does not point at a removed index).
 * devpi-client's own login state (`~/.devpi`) is the user's and is left alone.
 */
export default definePlaybook<DevpiVars>((env) => {
  checkSystemUser(env);
  const gone = (name: string, path: string) => ssh.file(name, { path: home(path), state: 'absent' });
  return {
    hosts: WORKSTATION_GROUP,
    tasks: [
      ssh.line('bashrc', { path: home('.bashrc'), regexp: new RegExp(`# ${F.bashrcMarker}$`), state: 'absent' }),
      gone('bash-functions', '.config/devpi'),
      gone('fish-functions', F.fish),
      gone('scripts', F.scriptsDir),
      gone('pip-conf', F.pipConf),
      gone('devpi-command', F.bin),
      gone('devpi-client', F.venv),
    ],
  };
});
