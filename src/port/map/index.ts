import type { Mapper } from './context.ts';
import { mapCommand } from './command.ts';
import { mapAssert, mapDebug, mapFail, mapPause, mapWaitFor } from './control.ts';
import { mapCopy, mapFile, mapLineinfile, mapSlurp, mapStat, mapTemplate, mapTempfile } from './files.ts';
import { mapHelm, mapHelmRepository } from './helm.ts';
import { mapK8s, mapK8sInfo } from './k8s.ts';
import { mapPackage, mapService } from './system.ts';
import { mapUri } from './uri.ts';

/** Module (canonical name) → mapper. Modules not here become `module-unsupported` TODOs. */
export const MAPPERS: Readonly<Record<string, Mapper>> = {
  k8s: mapK8s,
  k8s_info: mapK8sInfo,
  uri: mapUri,
  template: (cx) => mapTemplate(cx, cx.earlier.appliedPaths.has(String(cx.task.args.dest))),
  copy: mapCopy,
  file: mapFile,
  lineinfile: mapLineinfile,
  command: mapCommand,
  shell: mapCommand,
  debug: mapDebug,
  fail: mapFail,
  assert: mapAssert,
  pause: mapPause,
  wait_for: mapWaitFor,
  tempfile: mapTempfile,
  slurp: mapSlurp,
  stat: mapStat,
  apt: mapPackage,
  package: mapPackage,
  pip: mapPackage,
  systemd: mapService,
  service: mapService,
  helm: mapHelm,
  helm_repository: mapHelmRepository,
};
