import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { CLI_COMMANDS } from '../../src/cli/commands';

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

  it('every command answers --help on stdout with exit code 0, without reading the configuration', async () => {
    const env = { ...process.env, DATABASE_URL: 'not a url', REDIS_URL: 'not a url either' };
    const root = await run(process.execPath, [CLI, '--help'], { env });
    for (const command of CLI_COMMANDS) expect(root.stdout).toContain(`  ${command.name} `);
    const helps = await Promise.all(
      CLI_COMMANDS.map((command) => run(process.execPath, [CLI, ...command.name.split(' '), '--help'], { env })),
    );
    CLI_COMMANDS.forEach((command, index) => {
      const { stdout, stderr } = helps[index];
      expect(stdout).toContain(`Usage: npm run cli -- ${command.name} `);
      expect(stdout).toContain(command.description.split(' ').slice(0, 3).join(' '));
      expect(stdout).toContain('--json');
      for (const option of command.options ?? []) expect(stdout).toContain(option.flags);
      expect(stderr).toBe('');
    });
  });

  it.each([
    [['tenants'], 'error: missing command: npm run cli -- tenants <create|list|low-balance> (--help explains each)'],
    [['tenants', 'craete'], "error: unknown command 'craete' (Did you mean create?)"],
    [['keys', 'revoke'], "error: missing required argument 'key-id'"],
    [['keys', 'list'], "error: required option '--tenant <id>' not specified"],
    [['keys', 'list', '--tenant'], "error: option '--tenant <id>' argument missing"],
    [['keys', 'list', '--tenant', 'x', '--bogus'], "error: unknown option '--bogus'"],
    [['tenants', 'list', 'extra'], "error: too many arguments for 'list'. Expected 0 arguments but got 1."],
    [['tenants', 'create', '--name', 'x', '--credits', '-5'], "error: --credits must be a whole number ≥ 0, got '-5'"],
  ])('bad usage %j: exit code 2 and one line on stderr', async (args, line) => {
    await expect(run(process.execPath, [CLI, ...args], { env: process.env })).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: `${line}\n`,
    });
  });
});
