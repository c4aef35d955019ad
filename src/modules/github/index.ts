/**
 * GitHub through @octokit/rest with a configurable base URL: deploy keys (the provider
 * contract: read, diff, create, delete; a changed key is replaced) and repository checks,
 * plus in-process ed25519 key pairs for deploy keys.
 */
export { type GithubConnection, githubApi } from './client.ts';
export { deployKey, deployKeyProvider, keyBody, type DeployKey, type DeployKeySpec } from './deploy-key.ts';
export { generateSshKeypair, publicKeyOf, type SshKeypair } from './keypair.ts';
export { repository, type RepositoryInfo, type RepositoryOptions } from './repository.ts';
