import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

async function cli(...args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { env: process.env });
  return JSON.parse(stdout);
}

describe('admin CLI: webhooks (compiled, as operators run it)', () => {
  it('adds, lists, rotates, enables and removes an endpoint; the secret is printed only by add and rotate-secret', async () => {
    const { tenant } = (await cli('tenants', 'create', '--name', 'webhook tenant')) as { tenant: { id: string } };
    const added = (await cli(
      'webhooks',
      'add',
      '--tenant',
      tenant.id,
      '--url',
      'https://203.0.113.10/hooks',
      '--events',
      'job.succeeded,job.failed',
    )) as {
      webhook: { id: string; events: string[]; enabled: boolean };
      secret: string;
    };
    expect(added.webhook).toMatchObject({ id: expect.stringMatching(/^wh_/), events: ['job.succeeded', 'job.failed'], enabled: true });
    expect(() => new Webhook(added.secret)).not.toThrow();

    const listed = (await cli('webhooks', 'list', '--tenant', tenant.id)) as { webhooks: Array<{ id: string }> };
    expect(listed.webhooks.map((webhook) => webhook.id)).toEqual([added.webhook.id]);
    expect(JSON.stringify(listed)).not.toContain(added.secret);

    const rotated = (await cli('webhooks', 'rotate-secret', added.webhook.id)) as {
      secret: string;
      webhook: { previousSecretExpiresAt: string };
    };
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(added.secret);
    expect(new Date(rotated.webhook.previousSecretExpiresAt).getTime()).toBeGreaterThan(Date.now());

    expect(await cli('webhooks', 'enable', added.webhook.id)).toMatchObject({ webhook: { enabled: true, disabledReason: null } });
    expect(await cli('webhooks', 'remove', added.webhook.id)).toEqual({ removed: added.webhook.id });
    expect(await cli('webhooks', 'list', '--tenant', tenant.id)).toEqual({ webhooks: [] });
  });

  it('refuses bad input with one clear line: SSRF, events, tenant, unknown endpoint', async () => {
    const { tenant } = (await cli('tenants', 'create', '--name', 'webhook tenant 2')) as { tenant: { id: string } };
    const failure = (args: string[]) => run(process.execPath, [CLI, ...args], { env: process.env });
    await expect(failure(['webhooks', 'add', '--tenant', tenant.id, '--url', 'https://169.254.169.254/'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/^error: Field 'url': 169\.254\.169\.254 is a loopback, private, link-local or metadata address/),
    });
    await expect(
      failure(['webhooks', 'add', '--tenant', tenant.id, '--url', 'https://203.0.113.10/', '--events', 'job.done']),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--events must list one or more of job.succeeded, job.failed, job.expired'),
    });
    await expect(failure(['webhooks', 'add', '--tenant', 'acme', '--url', 'https://203.0.113.10/'])).rejects.toMatchObject({ code: 2 });
    await expect(
      failure(['webhooks', 'add', '--tenant', '00000000-0000-4000-8000-000000000000', '--url', 'https://203.0.113.10/']),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('does not exist') });
    await expect(failure(['webhooks', 'remove', 'wh_nope'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('was not found'),
    });
  });
});
