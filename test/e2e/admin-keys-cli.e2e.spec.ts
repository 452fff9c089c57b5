import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

async function cli<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { env: process.env });
  return JSON.parse(stdout) as T;
}

type Described = { key: { id: string; name: string; revokedAt: string | null }; adminKey: string };

describe('admin-keys CLI (compiled)', () => {
  it('creates admin keys shown once, replaces and revokes them, and makes tokens with their hash', async () => {
    const first = await cli<Described>('admin-keys', 'create', '--name', 'cli-operator');
    expect(first.adminKey).toMatch(/^sauti_admin_[\w-]{43}$/);
    const second = await cli<Described>('admin-keys', 'create', '--name', 'cli-operator', '--replace');
    const listed = await cli<{ keys: Array<{ id: string; revokedAt: string | null }> }>('admin-keys', 'list');
    expect(listed.keys.find((key) => key.id === first.key.id)?.revokedAt).toEqual(expect.any(String));
    expect(listed.keys.find((key) => key.id === second.key.id)?.revokedAt).toBeNull();
    expect(JSON.stringify(listed)).not.toContain(second.adminKey);
    expect((await cli<Described>('admin-keys', 'revoke', second.key.id)).key.revokedAt).toEqual(expect.any(String));

    const token = await cli<{ adminToken: string; adminTokenSha256: string }>('admin-keys', 'token');
    expect(token.adminTokenSha256).toBe(createHash('sha256').update(token.adminToken).digest('hex'));
  });
});
