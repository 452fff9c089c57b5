import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { ApiKeysService } from '../../src/tenants/api-keys.service';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { TASKS_PATH } from './fish-support';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

const OPENAI_BODY = { model: 'fake/fake-model', voice: 'nova', input: 'Habari.', response_format: 'wav' };

/** Per-key budgets (docs/usage.md): enforced by the statement that reserves, refused in every face's envelope. */
describe('per-key budgets', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let credits: CreditsService;
  let keys: ApiKeysService;
  let db: DataSource;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    credits = api.app.get(CreditsService);
    keys = api.app.get(ApiKeysService);
    db = api.app.get(DataSource);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  /** A tenant with a second key carrying `budget` credits per `period`. */
  async function budgetedKey(budget: number, period: 'day' | 'month' | 'none' = 'day', balance = 1_000_000) {
    const { tenantId, apiKey: ownerKey } = await api.createTenant(balance);
    const { key, plaintext } = await keys.create(tenantId, 'contractor', { creditLimit: budget, period });
    return { tenantId, ownerKey, keyId: key.id, apiKey: plaintext };
  }

  const spentOf = async (keyId: string) =>
    Number((await db.query(`SELECT period_spent FROM api_keys WHERE id = $1`, [keyId]))[0].period_spent);

  it('200 parallel reservations of 1 against a budget of 50: exactly 50 pass, none over by one credit', async () => {
    const { tenantId, keyId } = await budgetedKey(50);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 200 }, () => credits.reserveForRequest(tenantId, 1, `sync_${randomUUID()}`, { apiKeyId: keyId })),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(50);
    const refused = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    expect(refused).toHaveLength(150);
    for (const { reason } of refused) {
      expect(reason).toMatchObject({ code: 'key_budget_exceeded', details: { credit_limit: 50, spent: 50, period: 'day', required: 1 } });
      expect(reason.retryAfterSeconds).toBeGreaterThan(0);
      expect(reason.retryAfterSeconds).toBeLessThanOrEqual(86_400);
    }
    expect(await spentOf(keyId)).toBe(50);
    // The tenant's balance lost exactly what the key was allowed.
    expect((await credits.summary(tenantId)).balance).toBe(1_000_000 - 50);
  });

  it('200 parallel requests of mixed sizes at the edge never overspend, and refunds give budget back', async () => {
    const { tenantId, keyId } = await budgetedKey(997);
    const amounts = Array.from({ length: 200 }, (_, index) => 1 + (index % 13));
    const references = amounts.map(() => `sync_${randomUUID()}`);
    const outcomes = await Promise.allSettled(
      amounts.map((amount, index) => credits.reserveForRequest(tenantId, amount, references[index], { apiKeyId: keyId })),
    );
    const held = amounts.filter((_, index) => outcomes[index].status === 'fulfilled').reduce((sum, amount) => sum + amount, 0);
    expect(held).toBeLessThanOrEqual(997);
    // Every refused one would indeed have gone over when it was refused: at least the smallest no longer fits.
    expect(held).toBeGreaterThan(997 - 13);
    expect(await spentOf(keyId)).toBe(held);

    // Releases and partial settles give their refunds back to the key's budget; a full settle does not.
    const passed = references.filter((_, index) => outcomes[index].status === 'fulfilled');
    await credits.release(passed[0]);
    await credits.settle(passed[1], 0);
    await credits.settle(passed[2]);
    const refunded = amounts[references.indexOf(passed[0])] + amounts[references.indexOf(passed[1])];
    expect(await spentOf(keyId)).toBe(held - refunded);
  });

  it('200 parallel HTTP requests on one key: exactly the budgeted number are served, the rest are 402 key_budget_exceeded', async () => {
    const price = api.config.pricing.creditsFor('fake/fake-model', 'Habari.'.length);
    const { keyId, apiKey } = await budgetedKey(price * 20, 'month');
    const responses = await Promise.all(
      Array.from({ length: 200 }, () =>
        request(api.baseUrl).post('/v1/audio/speech').set('authorization', `Bearer ${apiKey}`).send(OPENAI_BODY),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(20);
    expect(statuses.filter((status) => status === 402)).toHaveLength(180);
    await eventually(async () => expect(await spentOf(keyId)).toBe(price * 20));
  });

  it('a new period starts from zero; the previous period’s spend is kept in the usage events', async () => {
    const { tenantId, keyId } = await budgetedKey(10, 'day');
    await credits.reserveForRequest(tenantId, 10, `sync_${randomUUID()}`, { apiKeyId: keyId });
    await expect(credits.reserveForRequest(tenantId, 1, `sync_${randomUUID()}`, { apiKeyId: keyId })).rejects.toMatchObject({
      code: 'key_budget_exceeded',
    });
    // Yesterday's counter, as the clock would leave it at midnight UTC.
    await db.query(`UPDATE api_keys SET period_start = period_start - interval '1 day' WHERE id = $1`, [keyId]);
    expect((await keys.get(keyId)).periodSpent).toBe(10);
    const { keySpend } = await import('../../src/tenants/key-budget');
    expect(keySpend(await keys.get(keyId))).toMatchObject({ spent: 0, remaining: 10 });
    await credits.reserveForRequest(tenantId, 7, `sync_${randomUUID()}`, { apiKeyId: keyId });
    expect(await spentOf(keyId)).toBe(7);
    // A refund of yesterday's reservation is not taken off today's count.
    const [old] = await db.query(`SELECT reference FROM usage_events WHERE api_key_id = $1 AND reserved = 10 ORDER BY created_at LIMIT 1`, [
      keyId,
    ]);
    await db.query(`UPDATE usage_events SET created_at = created_at - interval '1 day' WHERE reference = $1`, [old.reference]);
    await credits.release(old.reference);
    expect(await spentOf(keyId)).toBe(7);
  });

  it('a budget of period none never resets and a 402 for it has no Retry-After', async () => {
    const { apiKey } = await budgetedKey(0, 'none');
    const response = await request(api.baseUrl).post('/v1/audio/speech').set('authorization', `Bearer ${apiKey}`).send(OPENAI_BODY);
    expect(response.status).toBe(402);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body.error).toMatchObject({ code: 'key_budget_exceeded', type: 'insufficient_quota' });
  });

  it("refuses in every face's own envelope, with Retry-After at the end of the UTC day; jobs are refused at create", async () => {
    const { apiKey, tenantId } = await budgetedKey(0, 'day');
    const secondsToMidnight = Math.ceil(
      (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) - Date.now()) / 1000,
    );
    const expectRetryAfter = (response: request.Response) => {
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(Math.abs(retryAfter - secondsToMidnight)).toBeLessThanOrEqual(5);
    };

    const sauti = await request(api.baseUrl).post(`/v1/text-to-speech/${FAKE_VOICE}`).set('xi-api-key', apiKey).send({ text: 'Habari.' });
    expect(sauti.status).toBe(402);
    expect(sauti.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(sauti.body).toMatchObject({ status: 402, title: 'Payment Required', code: 'key_budget_exceeded' });
    expectRetryAfter(sauti);

    const sautiJob = await request(api.baseUrl)
      .post('/v1/tts/jobs')
      .set('xi-api-key', apiKey)
      .send({ text: 'Habari.', voice_id: FAKE_VOICE });
    expect(sautiJob.status).toBe(402);
    expect(sautiJob.body).toMatchObject({ code: 'key_budget_exceeded' });

    const openai = await request(api.baseUrl).post('/v1/audio/speech').set('authorization', `Bearer ${apiKey}`).send(OPENAI_BODY);
    expect(openai.status).toBe(402);
    expect(openai.body).toEqual({
      error: { message: expect.stringMatching(/budget/), type: 'insufficient_quota', param: null, code: 'key_budget_exceeded' },
    });
    expectRetryAfter(openai);

    const fish = await request(api.baseUrl)
      .post(TASKS_PATH)
      .set('authorization', `Bearer ${apiKey}`)
      .send({ text: 'Habari.', voiceId: FAKE_VOICE });
    expect(fish.status).toBe(402);
    expect(fish.body).toEqual({ status: 402, code: 'key_budget_exceeded', message: expect.stringMatching(/budget/) });
    expectRetryAfter(fish);

    const bifrost = await request(api.baseUrl).post('/v1/async/audio/speech').set('authorization', `Bearer ${apiKey}`).send(OPENAI_BODY);
    expect(bifrost.status).toBe(402);
    expect(bifrost.body).toMatchObject({
      status_code: 402,
      is_bifrost_error: true,
      error: { code: 'key_budget_exceeded', type: 'insufficient_quota' },
    });
    expectRetryAfter(bifrost);

    const elevenLabs = await request(api.baseUrl)
      .post(`/elevenlabs/v1/text-to-speech/${FAKE_VOICE}`)
      .set('xi-api-key', apiKey)
      .send({ text: 'Habari.' });
    expect(elevenLabs.status).toBe(402);
    expect(elevenLabs.body).toEqual({ detail: { status: 'key_budget_exceeded', message: expect.stringMatching(/budget/) } });
    expectRetryAfter(elevenLabs);

    // Nothing was reserved or queued by any of them.
    expect(await credits.summary(tenantId)).toMatchObject({ balance: 1_000_000, reserved: 0 });
    expect((await db.query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE tenant_id = $1`, [tenantId]))[0].n).toBe(0);
  });

  it("a job's reservation counts against its key's budget", async () => {
    const price = api.config.pricing.creditsFor(FAKE_VOICE, 'Habari.'.length);
    const { keyId, apiKey } = await budgetedKey(price, 'month');
    const first = await request(api.baseUrl)
      .post(TASKS_PATH)
      .set('authorization', `Bearer ${apiKey}`)
      .send({ text: 'Habari.', voiceId: FAKE_VOICE });
    expect(first.status).toBeLessThan(300);
    expect(await spentOf(keyId)).toBe(price);
    const [job] = await db.query(`SELECT api_key_id FROM synthesis_jobs WHERE api_key_id = $1`, [keyId]);
    expect(job.api_key_id).toBe(keyId);
    const second = await request(api.baseUrl)
      .post(TASKS_PATH)
      .set('authorization', `Bearer ${apiKey}`)
      .send({ text: 'Habari.', voiceId: FAKE_VOICE });
    expect(second.status).toBe(402);
  });

  it("shows the key's budget and spend in GET /v1/account and the Fish profile", async () => {
    const { tenantId, keyId, apiKey } = await budgetedKey(500, 'month');
    await credits.reserveForRequest(tenantId, 120, `sync_${randomUUID()}`, { apiKeyId: keyId });
    const now = new Date();
    const periodStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
    const resetsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();

    const account = await request(api.baseUrl).get('/v1/account').set('xi-api-key', apiKey);
    expect(account.status).toBe(200);
    expect(account.body.api_key).toEqual({
      id: keyId,
      name: 'contractor',
      prefix: expect.stringMatching(/^sk_sauti_/),
      budget: { credit_limit: 500, period: 'month', spent: 120, remaining: 380, period_start: periodStart, resets_at: resetsAt },
    });

    // The open reservation is held, read from the open usage events (not the ledger's history).
    expect(account.body.credits).toEqual({ balance: 1_000_000 - 120, reserved: 120 });
    expect(await credits.summary(tenantId)).toMatchObject({ balance: 1_000_000 - 120, reserved: 120 });
    const profile = await request(api.baseUrl).get('/api/open/v1/profile').set('authorization', `Bearer ${apiKey}`);
    expect(profile.status).toBe(200);
    expect(profile.body.credits).toEqual({ balance: 1_000_000 - 120, reserved: 120 });
    expect(profile.body.apiKeyBudget).toEqual({ creditLimit: 500, period: 'month', spent: 120, remaining: 380, periodStart, resetsAt });
  });

  it('changing the period recounts the spend from the usage events; removing the budget lifts the cap', async () => {
    const { tenantId, keyId } = await budgetedKey(100, 'day');
    await credits.reserveForRequest(tenantId, 60, `sync_${randomUUID()}`, { apiKeyId: keyId });
    await keys.setBudget(keyId, { creditLimit: 60, period: 'month' });
    expect(await spentOf(keyId)).toBe(60);
    await expect(credits.reserveForRequest(tenantId, 1, `sync_${randomUUID()}`, { apiKeyId: keyId })).rejects.toMatchObject({
      code: 'key_budget_exceeded',
    });
    await keys.setBudget(keyId, { creditLimit: null, period: 'month' });
    await credits.reserveForRequest(tenantId, 500, `sync_${randomUUID()}`, { apiKeyId: keyId });
    expect(await spentOf(keyId)).toBe(560);
  });
});
