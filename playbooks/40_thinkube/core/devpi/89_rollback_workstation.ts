import { definePlaybook } from 'helix';
import * as ssh from 'helix/modules/ssh';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';
import { checkSystemUser, home, WORKSTATION_GROUP } from './workstation.ts';

/**
 * Removes exactly what 85_cli_setup and 86_shell_config wrote on the workstation (the
 * devpi-client venv included, and pip.conf, so pip does not point at a removed index).
 * `.bashrc` loses its devpi line, and goes when that leaves it empty (the play created it).
 * Folders the play made that other tools share (`~/.local/bin`, `~/.config/pip`, fish's
 * `conf.d`) go only when nothing else is in them. devpi-client's own login state (`~/.devpi`)
 * is the user's and is left alone.
 */
export default definePlaybook<DevpiVars>((env) => {
  checkSystemUser(env);
  const gone = (name: string, path: string) => ssh.file(name, { path: home(path), state: 'absent' });
  const goneIfEmpty = (name: string, path: string) => ssh.file(name, { path: home(path), state: 'absent', onlyIfEmpty: true });
  return {
    hosts: WORKSTATION_GROUP,
    tasks: [
      ssh.line('bashrc', { path: home('.bashrc'), regexp: new RegExp(`# ${F.bashrcMarker}$`), state: 'absent', removeEmpty: true }),
      gone('bash-functions', '.config/devpi'),
      gone('fish-functions', F.fish),
      gone('scripts', F.scriptsDir),
      gone('pip-conf', F.pipConf),
      gone('devpi-command', F.bin),
      gone('devpi-client', F.venv),
      gone('ca-cert', F.caCert),
      goneIfEmpty('devpi-client-dir', F.venv.replace(/\/venv$/, '')),
      goneIfEmpty('fish-conf-dir', '.config/fish/conf.d'),
      goneIfEmpty('fish-dir', '.config/fish'),
      goneIfEmpty('pip-config-dir', '.config/pip'),
      goneIfEmpty('bin-dir', '.local/bin'),
    ],
  };
});
