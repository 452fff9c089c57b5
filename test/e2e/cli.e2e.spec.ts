import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { env: process.env });
  return JSON.parse(stdout);
}

describe('admin CLI (compiled, as operators run it)', () => {
  it('creates a tenant with a key, tops up, lists, creates and revokes keys', async () => {
    const created = (await cli('tenants', 'create', '--name', 'cli tenant', '--credits', '250')) as {
      tenant: { id: string; name: string };
      apiKey: string;
    };
    expect(created).toEqual({ tenant: { id: expect.any(String), name: 'cli tenant' }, apiKey: expect.stringMatching(/^sk_sauti_/) });
    const tenantId = created.tenant.id;

    expect(await cli('credits', 'topup', '--tenant', tenantId, '--amount', '50')).toEqual({ tenantId, balance: 300 });
    expect(await cli('credits', 'show', '--tenant', tenantId)).toMatchObject({ balance: 300, reserved: 0, ledgerSum: 300 });

    const listed = (await cli('tenants', 'list')) as { tenants: Array<{ id: string; creditBalance: number }> };
    expect(listed.tenants.find((t) => t.id === tenantId)?.creditBalance).toBe(300);

    const second = (await cli('keys', 'create', '--tenant', tenantId, '--name', 'ci')) as { key: { id: string }; apiKey: string };
    expect(second.apiKey).not.toBe(created.apiKey);
    const revoked = (await cli('keys', 'revoke', second.key.id)) as { key: { revokedAt: string } };
    expect(revoked.key.revokedAt).toEqual(expect.any(String));

    const keys = (await cli('keys', 'list', '--tenant', tenantId)) as {
      keys: Array<{ id: string; prefix: string; revokedAt: string | null }>;
    };
    expect(keys.keys).toHaveLength(2);
    expect(keys.keys.filter((k) => k.revokedAt !== null).map((k) => k.id)).toEqual([second.key.id]);
    expect(JSON.stringify(keys)).not.toContain(created.apiKey);
  });

  it('rejects bad arguments with a usage error and exit code 2', async () => {
    await expect(
      run(process.execPath, [CLI, 'credits', 'topup', '--tenant', 'x', '--amount', 'lots'], { env: process.env }),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--amount must be a whole number'),
    });
    await expect(run(process.execPath, [CLI, 'no', 'such', 'command'], { env: process.env })).rejects.toMatchObject({ code: 2 });
  });
});
