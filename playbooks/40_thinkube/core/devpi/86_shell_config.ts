import { definePlaybook } from 'helix';
import * as ssh from 'helix/modules/ssh';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';
import { checkSystemUser, home, WORKSTATION_GROUP, workstationVars } from './workstation.ts';

const tpl = (f: string) => new URL(`./templates/${f}`, import.meta.url);

/**
 * Helper scripts, fish functions and their bash equivalents on the workstation. No password
 * is written anywhere: `devpi-init-admin` lets devpi-client ask for it. Every file is
 * compared before it is written, so a second run changes nothing.
 */
export default definePlaybook<DevpiVars>((env) => {
  checkSystemUser(env);
  const w = workstationVars(env);
  return {
    hosts: WORKSTATION_GROUP,
    tasks: [
      ssh.file('scripts-dir', { path: home(F.scriptsDir), state: 'directory', mode: '0755' }),
      ssh.template('init-admin-script', { path: home(F.initScript), src: tpl('devpi-init-admin.sh.hbs'), vars: w, mode: '0755' }),
      ssh.template('upload-script', { path: home(F.uploadScript), src: tpl('devpi-upload-pkg.sh.hbs'), vars: w, mode: '0755' }),
      ssh.file('fish-conf-dir', { path: home('.config/fish/conf.d'), state: 'directory', mode: '0755' }),
      ssh.template('fish-functions', { path: home(F.fish), src: tpl('devpi.fish.hbs'), vars: w, mode: '0644' }),
      ssh.file('bash-conf-dir', { path: home('.config/devpi'), state: 'directory', mode: '0755' }),
      ssh.template('bash-functions', { path: home(F.bash), src: tpl('devpi.bash.hbs'), vars: w, mode: '0644' }),
      ssh.line('bashrc', {
        path: home('.bashrc'),
        create: true,
        line: `[ -f "$HOME/${F.bash}" ] && . "$HOME/${F.bash}"  # ${F.bashrcMarker}`,
        regexp: new RegExp(`# ${F.bashrcMarker}$`),
      }),
    ],
  };
});
