import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService, UsageAttribution } from '../../src/billing/credits.service';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ApiKeysService } from '../../src/tenants/api-keys.service';
import { parseUsageQuery } from '../../src/usage/usage-query';
import { UsageRepository } from '../../src/usage/usage.repository';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

/** GET /v1/usage (docs/usage.md): the ledger's figures by period and attribution, JSON and CSV. */
describe('usage report', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let credits: CreditsService;
  let db: DataSource;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    credits = api.app.get(CreditsService);
    db = api.app.get(DataSource);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const usage = (apiKey: string, query: Record<string, string>, accept = 'application/json') =>
    request(api.baseUrl).get('/v1/usage').query(query).set('xi-api-key', apiKey).set('accept', accept);

  /** A reservation made at `at` (its usage event moved there before it finishes), then finished as `how`. */
  async function billedAt(
    tenantId: string,
    at: string,
    amount: number,
    attribution: UsageAttribution,
    how: 'settle' | 'partial' | 'release',
    provider = 'fake',
  ): Promise<string> {
    const reference = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, amount, reference, attribution);
    await db.query(`UPDATE usage_events SET created_at = $2 WHERE reference = $1`, [reference, at]);
    if (how === 'settle') await credits.settleRequest(reference, amount, { provider, audioSeconds: 1.5 });
    if (how === 'partial') await credits.settle(reference, Math.floor(amount / 2), undefined, { provider, audioSeconds: 0.5 });
    if (how === 'release') await credits.release(reference, undefined, { status: 'failed' });
    return reference;
  }

  it("totals equal the ledger's to the credit under a concurrent workload with refunds", async () => {
    const { tenantId, apiKey } = await api.createTenant(10_000_000);
    const second = await api.app.get(ApiKeysService).create(tenantId, 'batch');
    const keyIds = [(await db.query(`SELECT id FROM api_keys WHERE tenant_id = $1 AND name = 'default'`, [tenantId]))[0].id, second.key.id];
    const work = Array.from({ length: 300 }, async (_, index) => {
      const reference = `sync_${randomUUID()}`;
      const amount = 5 + (index % 17);
      await credits.reserveForRequest(tenantId, amount, reference, {
        apiKeyId: keyIds[index % 2],
        face: ['sauti', 'openai', 'fish'][index % 3],
        voice: `voice-${index % 4}`,
        characters: amount,
      });
      if (index % 3 === 0) return credits.release(reference);
      if (index % 3 === 1) return credits.settle(reference, index % 5);
      return credits.settleRequest(reference, amount);
    });
    // And real requests through a face, some of which fail upstream (released).
    const speech = Array.from({ length: 20 }, (_, index) =>
      request(api.baseUrl)
        .post('/v1/audio/speech')
        .set('authorization', `Bearer ${apiKey}`)
        .send({ model: 'fake/fake-model', voice: 'nova', input: `Habari ${index}.`, response_format: 'wav' }),
    );
    await Promise.all([...work, ...speech]);
    await eventually(async () => expect((await credits.summary(tenantId)).reserved).toBe(0));

    const [ledger] = await db.query(
      `SELECT COALESCE(-sum(amount) FILTER (WHERE kind IN ('reserve', 'settle', 'release')), 0)::bigint AS charged,
              COALESCE(sum(amount) FILTER (WHERE kind IN ('settle', 'release')), 0)::bigint AS refunded,
              (count(*) FILTER (WHERE kind = 'reserve'))::int AS requests
         FROM credit_ledger WHERE tenant_id = $1`,
      [tenantId],
    );
    const response = await usage(apiKey, { from: '2000-01-01', to: new Date(Date.now() + 3_600_000).toISOString(), interval: 'month' });
    // A range over a year is refused; ask for the last year instead.
    expect(response.status).toBe(422);
    const today = new Date();
    const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1)).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    for (const groupBy of ['', 'api_key', 'voice,face', 'provider,status']) {
      const report = await usage(apiKey, { from, to, interval: 'day', ...(groupBy ? { group_by: groupBy } : {}) });
      expect(report.status).toBe(200);
      expect(report.body.totals).toMatchObject({
        requests: ledger.requests,
        credits_charged: Number(ledger.charged),
        credits_refunded: Number(ledger.refunded),
      });
    }
    const byKey = await usage(apiKey, { from, to, interval: 'month', group_by: 'api_key' });
    const names = byKey.body.buckets.map((bucket: { api_key_name: string }) => bucket.api_key_name).sort();
    expect(names).toEqual(['batch', 'default']);
    const byProvider = await usage(apiKey, { from, to, interval: 'month', group_by: 'provider,face' });
    const openai = byProvider.body.buckets.find(
      (bucket: { face: string; provider: string }) => bucket.face === 'openai' && bucket.provider === 'fake',
    );
    expect(openai).toMatchObject({ requests: 20, failures: 0 });
    expect(openai.audio_seconds).toBeGreaterThan(0);
  });

  it('buckets at period boundaries, from and to with offsets, partial hours read from the events', async () => {
    const { tenantId, apiKey } = await api.createTenant(1_000_000);
    const keyId = (await db.query(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenantId]))[0].id;
    const who = { apiKeyId: keyId, face: 'sauti', voice: 'v1', characters: 10 };
    await billedAt(tenantId, '2026-02-28T23:59:59.999Z', 10, who, 'settle');
    await billedAt(tenantId, '2026-03-01T00:00:00.000Z', 20, who, 'settle');
    await billedAt(tenantId, '2026-03-01T00:30:00.000Z', 40, who, 'partial');
    await billedAt(tenantId, '2026-03-01T01:10:00.000Z', 80, { ...who, voice: 'v2' }, 'release');
    await billedAt(tenantId, '2026-03-31T23:59:59.000Z', 160, who, 'settle');
    await billedAt(tenantId, '2026-04-01T00:00:00.000Z', 320, who, 'settle');

    const march = await usage(apiKey, { from: '2026-03-01', to: '2026-04-01', interval: 'day' });
    expect(march.status).toBe(200);
    expect(march.body).toMatchObject({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', interval: 'day', group_by: [] });
    expect(march.body.buckets).toEqual([
      expect.objectContaining({
        start: '2026-03-01T00:00:00.000Z',
        end: '2026-03-02T00:00:00.000Z',
        requests: 3,
        failures: 1,
        credits_charged: 20 + 20,
        credits_refunded: 20 + 80,
        characters: 30,
        audio_seconds: 2,
      }),
      expect.objectContaining({ start: '2026-03-31T00:00:00.000Z', end: '2026-04-01T00:00:00.000Z', requests: 1, credits_charged: 160 }),
    ]);

    // The same instant written in +03:00: 2026-03-01T03:00+03:00 is midnight UTC; buckets stay UTC days.
    const offset = await usage(apiKey, { from: '2026-03-01T03:00:00+03:00', to: '2026-04-01T03:00:00+03:00', interval: 'month' });
    expect(offset.body.from).toBe('2026-03-01T00:00:00.000Z');
    expect(offset.body.buckets).toEqual([
      expect.objectContaining({ start: '2026-03-01T00:00:00.000Z', requests: 4, credits_charged: 200 }),
    ]);

    // A client in UTC-05:00 asking for its 28 February: [05:00Z on the 28th, 05:00Z on 1 March), cut to that range.
    const evening = await usage(apiKey, { from: '2026-02-28T00:00:00-05:00', to: '2026-03-01T00:00:00-05:00', interval: 'day' });
    expect(evening.body.buckets).toEqual([
      expect.objectContaining({ start: '2026-02-28T05:00:00.000Z', end: '2026-03-01T00:00:00.000Z', requests: 1, credits_charged: 10 }),
      expect.objectContaining({ start: '2026-03-01T00:00:00.000Z', end: '2026-03-01T05:00:00.000Z', requests: 3 }),
    ]);

    // Partial hours at both ends: from 00:15 excludes the 00:00 request, to 01:05 excludes the 01:10 one.
    const hours = await usage(apiKey, { from: '2026-03-01T00:15:00Z', to: '2026-03-01T01:05:00Z', interval: 'hour' });
    expect(hours.body.buckets).toEqual([
      expect.objectContaining({ start: '2026-03-01T00:15:00.000Z', end: '2026-03-01T01:00:00.000Z', requests: 1, credits_charged: 20 }),
    ]);
    const whole = await usage(apiKey, {
      from: '2026-03-01T00:00:00Z',
      to: '2026-03-01T02:00:00Z',
      interval: 'hour',
      group_by: 'voice,status',
    });
    expect(whole.body.buckets).toEqual([
      expect.objectContaining({ start: '2026-03-01T00:00:00.000Z', voice: 'v1', status: 'succeeded', requests: 2, credits_charged: 40 }),
      expect.objectContaining({
        start: '2026-03-01T01:00:00.000Z',
        voice: 'v2',
        status: 'failed',
        requests: 1,
        failures: 1,
        credits_charged: 0,
      }),
    ]);
    // The end of the range is exclusive: 1 April's request is not in March.
    const exclusive = await usage(apiKey, { from: '2026-03-31T23:59:59Z', to: '2026-04-01T00:00:00Z', interval: 'hour' });
    expect(exclusive.body.totals).toMatchObject({ requests: 1, credits_charged: 160 });
  });

  it('CSV (format=csv or Accept: text/csv) has the same rows as the JSON', async () => {
    const { tenantId, apiKey } = await api.createTenant(1_000_000);
    const keyId = (await db.query(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenantId]))[0].id;
    await billedAt(
      tenantId,
      '2026-05-02T10:00:00Z',
      30,
      { apiKeyId: keyId, face: 'fish', voice: 'a, "quoted" voice', characters: 3 },
      'settle',
    );
    await billedAt(tenantId, '2026-05-03T10:00:00Z', 50, { apiKeyId: keyId, face: 'openai', voice: 'plain', characters: 5 }, 'partial');
    const query = { from: '2026-05-01', to: '2026-06-01', interval: 'day', group_by: 'api_key,voice' };
    const json = await usage(apiKey, query);
    const byParameter = await usage(apiKey, { ...query, format: 'csv' });
    const byAccept = await usage(apiKey, query, 'text/csv');
    expect(byParameter.status).toBe(200);
    expect(byParameter.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(byParameter.headers['content-disposition']).toBe('attachment; filename="usage-2026-05-01-2026-06-01.csv"');
    expect(byAccept.text).toBe(byParameter.text);
    const lines = byParameter.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'start,end,api_key_id,api_key_name,voice,requests,failures,cancelled,characters,audio_seconds,credits_charged,credits_refunded,cache_hits',
    );
    expect(lines).toHaveLength(json.body.buckets.length + 1);
    expect(lines[1]).toBe(`2026-05-02T00:00:00.000Z,2026-05-03T00:00:00.000Z,${keyId},default,"a, ""quoted"" voice",1,0,0,3,1.5,30,0,0`);
    const second = json.body.buckets[1];
    expect(lines[2]).toBe(
      [second.start, second.end, keyId, 'default', 'plain', 1, 0, 0, 5, 0.5, second.credits_charged, second.credits_refunded, 0].join(','),
    );
  });

  it('counts cache_hit ledger rows as cache hits, with or without a reservation under the same reference', async () => {
    const { tenantId, apiKey } = await api.createTenant(1_000_000);
    const hitAlone = `req_${randomUUID()}`;
    await db.query(`INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES ($1, 'cache_hit', -3, $2)`, [tenantId, hitAlone]);
    const reserved = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, 10, reserved, { face: 'sauti', voice: 'v' });
    await db.query(`INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES ($1, 'cache_hit', 0, $2)`, [tenantId, reserved]);
    await credits.settle(reserved, 2);
    const finishedFirst = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, 10, finishedFirst);
    await credits.settle(finishedFirst);
    await db.query(`INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES ($1, 'cache_hit', 0, $2)`, [
      tenantId,
      finishedFirst,
    ]);
    const report = await usage(apiKey, {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(report.body.totals).toMatchObject({ requests: 3, cache_hits: 3, credits_charged: 3 + 2 + 10, credits_refunded: 8 });
  });

  it("the audio cache's charges: a request's hit is attributed and charged to its key's budget, a job's hit adds its charge", async () => {
    const { tenantId, apiKey } = await api.createTenant(1_000_000);
    const { key } = await api.app.get(ApiKeysService).create(tenantId, 'cached', { creditLimit: 30, period: 'day' });
    const spent = async () => Number((await db.query(`SELECT period_spent FROM api_keys WHERE id = $1`, [key.id]))[0].period_spent);
    const who = { apiKeyId: key.id, face: 'sauti', voice: 'v1', characters: 50 };
    await credits.chargeCacheHit(tenantId, 5, `sync_${randomUUID()}`, { ...who, provider: 'vits', audioSeconds: 2 });
    expect(await spent()).toBe(5);
    // The job's reservation is refunded whole and the hit charged: 2 of its 20 stay charged.
    const job = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, 20, job, who);
    expect(await spent()).toBe(25);
    await db.transaction((manager) => credits.settleAsCacheHit(job, 2, manager, { provider: 'vits', audioSeconds: 4 }));
    expect(await spent()).toBe(7);
    // Over the key's budget a hit is refused like a reservation, and nothing is written.
    await credits.reserveForRequest(tenantId, 20, `sync_${randomUUID()}`, who);
    const balance = (await credits.summary(tenantId)).balance;
    await expect(credits.chargeCacheHit(tenantId, 5, `sync_${randomUUID()}`, who)).rejects.toMatchObject({ code: 'key_budget_exceeded' });
    expect((await credits.summary(tenantId)).balance).toBe(balance);

    const report = await usage(apiKey, {
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
      group_by: 'api_key,provider,status',
    });
    expect(report.body.buckets.filter((bucket: { status: string }) => bucket.status === 'succeeded')).toEqual([
      expect.objectContaining({
        api_key_id: key.id,
        provider: 'vits',
        requests: 2,
        cache_hits: 2,
        credits_charged: 7,
        credits_refunded: 18,
        audio_seconds: 6,
      }),
    ]);
    const [ledger] = await db.query(
      `SELECT -sum(amount) FILTER (WHERE kind <> 'topup') AS charged FROM credit_ledger WHERE tenant_id = $1 AND reference IN
         (SELECT reference FROM usage_events WHERE tenant_id = $1 AND status <> 'open')`,
      [tenantId],
    );
    expect(Number(ledger.charged)).toBe(7);
  });

  it('a key sees only its own tenant, and bad queries are 422 problems naming the field', async () => {
    const mine = await api.createTenant(1_000_000);
    const other = await api.createTenant(1_000_000);
    await billedAt(other.tenantId, '2026-07-01T12:00:00Z', 99, {}, 'settle');
    const report = await usage(mine.apiKey, { from: '2026-07-01', to: '2026-07-02' });
    expect(report.body.buckets).toEqual([]);
    expect((await usage(other.apiKey, { from: '2026-07-01', to: '2026-07-02' })).body.totals.credits_charged).toBe(99);

    for (const [query, field] of [
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-02-30' }, 'from'],
      [{ from: '2026-03-01T10:00:00' }, 'from'],
      [{ from: '2026-03-02', to: '2026-03-01' }, 'to'],
      [{ from: '2026-03-01', to: '2026-03-01' }, 'to'],
      [{ interval: 'week' }, 'interval'],
      [{ group_by: 'api_key,colour' }, 'group_by'],
      [{ format: 'xml' }, 'format'],
      [{ from: '2026-01-01', to: '2026-06-01', interval: 'hour' }, 'interval'],
      [{ tenant: 'someone-else' }, 'tenant'],
    ] as Array<[Record<string, string>, string]>) {
      const refused = await usage(mine.apiKey, query);
      expect([refused.status, refused.body.field, refused.body.code]).toEqual([422, field, 'invalid_request']);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await request(api.baseUrl).get('/v1/usage')).status).toBe(401);
  });

  it('low balance: one crossing per crossing, re-armed by a top-up, in the report and the metric', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const set = await request(api.baseUrl).patch('/v1/account').set('xi-api-key', apiKey).send({ low_balance_threshold: 500 });
    expect(set.status).toBe(200);
    expect(set.body.low_balance_threshold).toBe(500);
    const spend = (amount: number) => credits.reserveForRequest(tenantId, amount, `sync_${randomUUID()}`);
    await spend(400); // 600: above
    await spend(200); // 400: crossed
    await spend(100); // 300: still below, no new crossing
    const refund = `sync_${randomUUID()}`;
    await credits.reserveForRequest(tenantId, 50, refund);
    await credits.release(refund); // a refund does not re-arm
    await spend(10);
    await credits.topUp(tenantId, 1000); // 1290: re-armed
    await spend(900); // 390: crossed again
    const report = await usage(apiKey, {
      from: new Date(Date.now() - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(report.body.low_balance).toEqual({
      threshold: 500,
      below: true,
      crossings: [
        { crossed_at: expect.any(String), threshold: 500, balance: 400 },
        { crossed_at: expect.any(String), threshold: 500, balance: 390 },
      ],
    });
    const metrics = await request(api.baseUrl).get('/metrics');
    expect(metrics.text).toContain(`sauti_tenant_low_balance{tenant_id="${tenantId}"} 1`);
    // A threshold already above the balance is a crossing at once; null turns the signal off.
    await request(api.baseUrl).patch('/v1/account').set('xi-api-key', apiKey).send({ low_balance_threshold: 2000 });
    expect((await db.query(`SELECT count(*)::int AS n FROM low_balance_events WHERE tenant_id = $1`, [tenantId]))[0].n).toBe(3);
    await request(api.baseUrl).patch('/v1/account').set('xi-api-key', apiKey).send({ low_balance_threshold: null });
    expect((await request(api.baseUrl).get('/metrics')).text).not.toContain(`tenant_id="${tenantId}"`);
    const bad = await request(api.baseUrl).patch('/v1/account').set('xi-api-key', apiKey).send({ low_balance_threshold: -1 });
    expect(bad.status).toBe(422);
  });

  it('is described in the Sauti OpenAPI document: parameters, JSON and CSV', async () => {
    const spec = (await request(api.baseUrl).get('/docs-json')).body;
    const operation = spec.paths['/v1/usage'].get;
    expect(operation.parameters.map((parameter: { name: string }) => parameter.name).sort()).toEqual([
      'format',
      'from',
      'group_by',
      'interval',
      'to',
    ]);
    expect(Object.keys(operation.responses['200'].content).sort()).toEqual(['application/json', 'text/csv']);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '422', '429']));
    expect(spec.components.schemas.SautiUsageBucketDto.properties.credits_charged).toBeDefined();
    expect(Object.keys(spec.paths['/v1/keys/{key_id}']).sort()).toEqual(['delete', 'get', 'patch']);
  });

  it('buckets and budget periods are UTC whatever the session time zone of the connection', async () => {
    const { tenantId } = await api.createTenant(1_000_000);
    await billedAt(tenantId, '2026-03-01T23:30:00Z', 10, { voice: 'v' }, 'settle');
    await billedAt(tenantId, '2026-03-02T00:30:00Z', 20, { voice: 'v' }, 'settle');
    const kolkata = await new DataSource(
      dataSourceOptions(api.config.database.url, { extra: { max: 1, options: '-c TimeZone=Asia/Kolkata' } }),
    ).initialize();
    try {
      expect((await kolkata.query(`SELECT current_setting('TimeZone') AS zone`))[0].zone).toBe('Asia/Kolkata');
      const rows = await new UsageRepository(kolkata).report(tenantId, parseUsageQuery({ from: '2026-03-01', to: '2026-03-03' }));
      expect(rows.map((row) => [row.bucket.toISOString(), row.credits_charged])).toEqual([
        ['2026-03-01T00:00:00.000Z', 10],
        ['2026-03-02T00:00:00.000Z', 20],
      ]);
      const [bounds] = await kolkata.query(
        `SELECT budget_period_start('day', $1) AS day_start, budget_period_end('day', $1) AS day_end,
                budget_period_start('month', $1) AS month_start, budget_period_end('month', $1) AS month_end`,
        ['2026-03-31T23:30:00Z'],
      );
      expect(Object.values(bounds).map((value) => (value as Date).toISOString())).toEqual([
        '2026-03-31T00:00:00.000Z',
        '2026-04-01T00:00:00.000Z',
        '2026-03-01T00:00:00.000Z',
        '2026-04-01T00:00:00.000Z',
      ]);
    } finally {
      await kolkata.destroy();
    }
  });
});
