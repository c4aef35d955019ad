/**
 * Hosts over SSH: one connection per host held for the run, commands multiplexed as
 * channels over it, strict host-key checking, and tasks that compare facts with the wish
 * before changing anything. On `localhost` the same tasks run locally.
 *
 * ```ts
 * import * as ssh from 'helix/modules/ssh';
 * const restart = ssh.service('restart-app', { service: 'app', state: 'restarted', become: true });
 * ssh.template('config', { path: '/etc/app.conf', src: new URL('./app.conf.hbs', import.meta.url), vars: { port: 8080 }, notify: [restart], become: true });
 * ```
 */
export { copy, type CopyOptions, type CopyResult } from './copy.ts';
export { delegateTo } from './delegate.ts';
export { exec, type ExecOptions, type ExecResult } from './exec.ts';
export { facts } from './facts-task.ts';
export { query, type QueryOptions } from './query.ts';
export { type HostFacts, hostFacts } from './facts.ts';
export { file, type FileOptions, type FileResult } from './file.ts';
export { line, type LineOptions } from './line.ts';
export type { HostOptions } from './options.ts';
export { pkg as package, pkg, type PackageOptions, type PackageResult } from './package.ts';
export { service, type ServiceOptions } from './service.ts';
export { stat, type StatOptions } from './stat.ts';
export type { FileStat } from './filestat.ts';
export { template, type TemplateOptions } from './template.ts';
export type { Command, CommandResult } from './command.ts';
export { transportFor, type Transport } from './transport.ts';
