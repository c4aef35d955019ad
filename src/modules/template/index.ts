/**
 * Templates: Handlebars in strict mode, rendering content only.
 *
 * ```ts
 * import * as template from 'helix/modules/template';
 * template.file('oauth2-proxy-config', { src: new URL('./oauth2-proxy.cfg.hbs', import.meta.url), dest: '/etc/x.cfg', vars });
 * k8s.apply('config', template.manifest({ src: new URL('./cm.yaml.hbs', import.meta.url) }, vars));
 * ```
 */
export { TemplateError } from './errors.ts';
export { file, type FileOptions, type FileResult } from './file.ts';
export { FILES_KEY, type FileStore, type LiveFile, localFiles } from './files.ts';
export { HELPERS, type HelperName } from './helpers.ts';
export { manifest, manifests } from './manifest.ts';
export { checkSource, render, renderTemplate, type Rendered } from './render.ts';
export type { TemplateSource } from './source.ts';
