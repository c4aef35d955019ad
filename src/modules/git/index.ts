/**
 * Git remotes over SSH with strict host key checking: push rendered files as one commit when
 * they differ, delete a branch on rollback. Commands are argument arrays; keys given as
 * secrets live in 0600 temporary files for the duration of one command.
 */
export { branchAbsent, type BranchAbsentOptions } from './branch-absent.ts';
export { push, type PushOptions, type PushResult } from './push.ts';
export type { SshAccess } from './ssh.ts';
export { knownHostsLines, parseRemote, type Remote } from './url.ts';
