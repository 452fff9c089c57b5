import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreditsService } from '../../src/billing/credits.service';
import { startTestApi, TestApi } from '../support/test-api';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

async function cli(...args: string[]): Promise<string> {
  return (await run(process.execPath, [CLI, ...args], { env: process.env })).stdout;
}
async function cliJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  return JSON.parse(await cli(...args, '--json')) as T;
}

/** The CLI's budget and usage commands (compiled, as operators run them). */
describe('admin CLI: key budgets, usage, low balance', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it('keys create --budget --period, keys budget, keys list show the budget', async () => {
    const { tenantId } = await api.createTenant(1000);
    const created = await cliJson<{ key: { id: string; budget: Record<string, unknown> }; apiKey: string }>(
      'keys',
      'create',
      '--tenant',
      tenantId,
      '--name',
      'contractor',
      '--budget',
      '5000',
      '--period',
      'month',
    );
    expect(created.key.budget).toMatchObject({ credit_limit: 5000, period: 'month', spent: 0, remaining: 5000 });
    const changed = await cliJson<{ key: { budget: Record<string, unknown> } }>(
      'keys',
      'budget',
      created.key.id,
      '--budget',
      '100',
      '--period',
      'day',
    );
    expect(changed.key.budget).toMatchObject({ credit_limit: 100, period: 'day' });
    const periodOnly = await cliJson<{ key: { budget: Record<string, unknown> } }>('keys', 'budget', created.key.id, '--period', 'none');
    expect(periodOnly.key.budget).toMatchObject({ credit_limit: 100, period: 'none', resets_at: null });
    const removed = await cliJson<{ key: { budget: Record<string, unknown> } }>('keys', 'budget', created.key.id, '--budget', 'none');
    expect(removed.key.budget).toMatchObject({ credit_limit: null, period: 'none' });
    expect(await cli('keys', 'list', '--tenant', tenantId)).toMatch(/ {2}contractor(\n|$)/); // no budget: nothing after the name

    for (const args of [
      ['keys', 'create', '--tenant', tenantId, '--budget', 'lots'],
      ['keys', 'create', '--tenant', tenantId, '--budget', '10', '--period', 'week'],
      ['keys', 'budget', created.key.id],
    ])
      await expect(run(process.execPath, [CLI, ...args], { env: process.env })).rejects.toMatchObject({ code: 2 });
  });

  it('usage prints the report as text, JSON and CSV', async () => {
    const { tenantId } = await api.createTenant(1000);
    const credits = api.app.get(CreditsService);
    const reference = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, 40, reference, { face: 'openai', voice: 'v1', characters: 40 });
    await credits.settle(reference, 30);
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const report = await cliJson<{ totals: Record<string, number>; buckets: Array<Record<string, unknown>> }>(
      'usage',
      '--tenant',
      tenantId,
      '--from',
      from,
      '--to',
      to,
      '--group-by',
      'face,voice',
    );
    expect(report.totals).toMatchObject({ requests: 1, characters: 40, credits_charged: 30, credits_refunded: 10 });
    expect(report.buckets[0]).toMatchObject({ face: 'openai', voice: 'v1' });
    const csv = await cli('usage', '--tenant', tenantId, '--from', from, '--to', to, '--group-by', 'face', '--csv');
    expect(csv.split('\r\n')[0]).toBe(
      'start,end,face,requests,failures,cancelled,characters,audio_seconds,credits_charged,credits_refunded,cache_hits',
    );
    expect(csv).toContain(',openai,1,0,0,40,0,30,10,0');
    expect(await cli('usage', '--tenant', tenantId, '--from', from, '--to', to)).toMatch(
      /total: 1 requests .* 30 credits charged, 10 refunded/,
    );
    await expect(
      run(process.execPath, [CLI, 'usage', '--tenant', tenantId, '--interval', 'week'], { env: process.env }),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('interval must be one of hour, day, month'),
    });
  });

  it('tenants low-balance sets the threshold; a balance already below it is a crossing', async () => {
    const { tenantId } = await api.createTenant(100);
    expect(await cliJson('tenants', 'low-balance', tenantId, '500')).toEqual({ tenantId, lowBalanceThreshold: 500, below: true });
    expect(await cliJson('tenants', 'low-balance', tenantId, 'none')).toEqual({ tenantId, lowBalanceThreshold: null, below: false });
    await expect(run(process.execPath, [CLI, 'tenants', 'low-balance', tenantId, '-5'], { env: process.env })).rejects.toMatchObject({
      code: 2,
    });
  });
});
