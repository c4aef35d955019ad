import { describe, expect, it } from 'vitest';
import { deployKeyLine } from '../../../src/sandbox/components/github.ts';

describe('sandbox GitHub stand-in: deploy keys on the git host', () => {
  const key = { id: 1001, key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0g', read_only: true };
  it('a read-only key can only fetch its own repository (forced git-upload-pack, nothing else)', () => {
    expect(deployKeyLine(key, '/srv/git/thinkube-devpi.git')).toBe(
      `restrict,command="git-upload-pack '/srv/git/thinkube-devpi.git'" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0g github-deploy-key-1001`,
    );
  });
  it('a read-write key is restricted (no forwarding, no pty) but not confined to one repository', () => {
    expect(deployKeyLine({ ...key, read_only: false }, '/srv/git/x.git')).toBe('restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0g github-deploy-key-1001');
  });
});
