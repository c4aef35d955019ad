import type { Env } from 'helix';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { WORKSTATION_FILES as F } from './names.ts';

/** The inventory group whose hosts get the devpi CLI. */
export const WORKSTATION_GROUP = 'admin_workstation';

/**
 * The workstation side: the system user is the SSH login user of the host (so every file is
 * the user's own, and nothing runs as root). A different `system_username` is a
 * configuration error, reported before anything runs.
 */
export function checkSystemUser(env: Env<DevpiVars>): void {
  const want = env.vars.system_username;
  if (!want) return;
  for (const name of env.groups[WORKSTATION_GROUP] ?? []) {
    const user = env.hosts[name]?.user;
    if (user && user !== want) {
      throw new Error(`system_username is ${want} but host ${name} logs in as ${user}: log in as the system user (hosts.${name}.user)`);
    }
  }
}

/** Values the workstation templates render (no secret among them). */
export function workstationVars(env: Env<DevpiVars>) {
  const d = devpi(env);
  return {
    /** pip's index (the simple API). */
    indexUrl: `${d.apiUrl}/${d.indexPath}/+simple/`,
    /** devpi-client's index (`DEVPI_INDEX`, `devpi use`): the index itself; given the simple API, its login asks `…/+simple/+api` and gets a 404. */
    devpiIndex: `${d.apiUrl}/${d.indexPath}`,
    dashboardUrl: d.dashboardUrl,
    apiUrl: d.apiUrl,
    binDir: '$HOME/.local/bin',
    devpiBin: `$HOME/${F.bin}`,
    initScript: `$HOME/${F.initScript}`,
    uploadScript: `$HOME/${F.uploadScript}`,
  };
}

export const home = (p: string): string => `~/${p}`;
