import { DataSource } from 'typeorm';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';
import { createTask, expectFishError, fishCall, TASKS_PATH } from './fish-support';

const TEXT = 'Habari za asubuhi.'; // 18 credits

/** Every row of the document's error table (and the transport errors around it), without a worker. */
describe('Fish errors: {status, code, message} for everything under /api/open', () => {
  let api: TestApi;
  let other: TestApi; // a second api instance on another port, same database and Redis prefix
  let upstream: ScriptableUpstream;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ upstream, env } = await startJobFixture());
    api = await startTestApi(env);
    other = await startTestApi(env);
  });
  afterAll(async () => {
    await other?.close();
    await api?.close();
    await upstream?.close();
  });

  const taskCount = async (tenantId: string) =>
    (await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE tenant_id = $1`, [tenantId]))[0].n as number;

  describe('400 invalid text, voice, model or output format', () => {
    it.each<[string, string, Record<string, unknown>]>([
      ['text missing', 'invalid_text', { voiceId: FAKE_VOICE }],
      ['text blank', 'invalid_text', { text: '  \n ', voiceId: FAKE_VOICE }],
      ['text not a string', 'invalid_text', { text: 42, voiceId: FAKE_VOICE }],
      ['text too long', 'invalid_text', { text: 'a'.repeat(20_001), voiceId: FAKE_VOICE }],
      ['voice missing', 'invalid_voice', { text: TEXT }],
      ['voice unknown', 'invalid_voice', { text: TEXT, voiceId: 'no-such-voice' }],
      ['model from another vendor', 'invalid_model', { text: TEXT, voiceId: FAKE_VOICE, engineModelId: 'fishaudio-s2pro' }],
      ['provider unknown', 'invalid_model', { text: TEXT, voiceId: FAKE_VOICE, engineModelId: 'nosuch/model' }],
      ['model unknown to its provider', 'invalid_model', { text: TEXT, voiceId: FAKE_VOICE, engineModelId: 'fake/no-such-model' }],
      ['alias the voice has no engine for', 'invalid_model', { text: TEXT, voiceId: FAKE_VOICE, engineModelId: 'sauti-vits' }],
      ['format unknown', 'invalid_format', { text: TEXT, voiceId: FAKE_VOICE, format: 'ogg' }],
    ])('%s → %s, no task, nothing reserved', async (_name, code, body) => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      const response = await createTask(api, apiKey, body);
      expectFishError(response, 400, code);
      expect(await taskCount(tenantId)).toBe(0);
    });

    it('the message names the field at fault', async () => {
      const { apiKey } = await api.createTenant(1000);
      expect((await createTask(api, apiKey, { text: TEXT, voiceId: 'no-such-voice' })).body.message).toContain("voiceId 'no-such-voice'");
      expect((await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, engineModelId: 'x' })).body.message).toContain(
        'engineModelId',
      );
      expect((await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'ogg' })).body.message).toContain("'format'");
    });

    it('fields the document does not define are ignored, not refused', async () => {
      const { apiKey } = await api.createTenant(1000);
      expect(
        (await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav', callbackUrl: 'https://example.com/hook' })).status,
      ).toBe(202);
    });

    it('a body that is not JSON, not an object, or not declared as JSON', async () => {
      const { apiKey } = await api.createTenant(1000);
      expectFishError(await fishCall(api, 'POST', TASKS_PATH, { apiKey, rawBody: '{"text": ' }), 400, 'malformed_request');
      expectFishError(await fishCall(api, 'POST', TASKS_PATH, { apiKey, rawBody: '["text"]' }), 400, 'malformed_request');
      expectFishError(
        await fishCall(api, 'POST', TASKS_PATH, { apiKey, rawBody: 'text=hi', headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported_media_type',
      );
    });

    it('an encoder missing on this deployment: 400 format_unavailable at creation; wav and mp3 (in-process) still accepted', async () => {
      // The deployment's ffmpeg pointed at a path with no binary (what a missing install looks like).
      const bare = await startTestApi({ ...env, FFMPEG_PATH: '/nonexistent/ffmpeg' });
      try {
        const { tenantId, apiKey } = await bare.createTenant(1000);
        expectFishError(await createTask(bare, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'opus' }), 400, 'format_unavailable');
        expect(await taskCount(tenantId)).toBe(0);
        expect((await createTask(bare, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' })).status).toBe(202);
        expect((await createTask(bare, apiKey, { text: TEXT, voiceId: FAKE_VOICE })).status).toBe(202);
      } finally {
        await bare.close();
      }
    });
  });

  it('401 authentication failed: no key, an unknown key, another scheme; on create, poll and profile', async () => {
    for (const headers of [{}, { authorization: 'Bearer sk_not_a_real_key' }, { authorization: 'Basic dXNlcjpwYXNz' }] as Array<
      Record<string, string>
    >) {
      for (const [method, path] of [
        ['POST', TASKS_PATH],
        ['GET', `${TASKS_PATH}/job_123`],
        ['GET', '/api/open/v1/profile'],
      ]) {
        const response = await fishCall(api, method, path, {
          headers,
          ...(method === 'POST' ? { body: { text: TEXT, voiceId: FAKE_VOICE } } : {}),
        });
        expectFishError(response, 401, 'unauthorized');
        expect(response.headers.get('www-authenticate')).toBe('Bearer');
      }
    }
  });

  it('402 insufficient credits: no task is created and the balance is untouched', async () => {
    const { tenantId, apiKey } = await api.createTenant(17);
    expectFishError(await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' }), 402, 'insufficient_credits');
    expect(await taskCount(tenantId)).toBe(0);
    const ledger = await api.app.get(DataSource).query(`SELECT kind FROM credit_ledger WHERE tenant_id = $1`, [tenantId]);
    expect(ledger.map((row: { kind: string }) => row.kind)).toEqual(['topup']);
    const profile = await fishCall(api, 'GET', '/api/open/v1/profile', { apiKey });
    expect(profile.body.credits).toEqual({ balance: 17, reserved: 0 });
  });

  it('404 a task id unknown to this token: made up, or another account’s', async () => {
    const owner = await api.createTenant(1000);
    const stranger = await api.createTenant(1000);
    const created = await createTask(api, owner.apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    expect((await fishCall(api, 'GET', `${TASKS_PATH}/${created.body.id}`, { apiKey: owner.apiKey })).status).toBe(200);
    expectFishError(await fishCall(api, 'GET', `${TASKS_PATH}/${created.body.id}`, { apiKey: stranger.apiKey }), 404, 'task_not_found');
    expectFishError(await fishCall(api, 'GET', `${TASKS_PATH}/job_doesnotexist`, { apiKey: owner.apiKey }), 404, 'task_not_found');
    expectFishError(await fishCall(api, 'GET', `${TASKS_PATH}/${'x'.repeat(300)}`, { apiKey: owner.apiKey }), 404, 'task_not_found');
  });

  describe('429 too many create or poll requests, counted across api instances', () => {
    const limitTenant = async (tenantId: string, creates: number, polls: number) =>
      api.app
        .get(DataSource)
        .query(`UPDATE tenants SET rate_limit_job_creates_per_minute = $2, rate_limit_job_polls_per_minute = $3 WHERE id = $1`, [
          tenantId,
          creates,
          polls,
        ]);

    it('creates: 3 per minute shared by two instances; the 4th gets 429 with Retry-After; other keys are unaffected', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      await limitTenant(tenantId, 3, 1000);
      const statuses: number[] = [];
      for (const instance of [api, other, api, other, api]) {
        const response = await createTask(instance, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
        statuses.push(response.status);
        if (response.status === 429) {
          expectFishError(response, 429, 'rate_limited');
          const retryAfter = Number(response.headers.get('retry-after'));
          expect(retryAfter).toBeGreaterThanOrEqual(1);
          expect(retryAfter).toBeLessThanOrEqual(120);
        }
      }
      expect(statuses).toEqual([202, 202, 202, 429, 429]);
      expect(await taskCount(tenantId)).toBe(3);
      const bystander = await api.createTenant(1000);
      expect((await createTask(other, bystander.apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' })).status).toBe(202);
    });

    it('polls: 4 per minute shared by two instances, then 429; creating is a separate counter', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      const created = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
      await limitTenant(tenantId, 1000, 4);
      const statuses: number[] = [];
      for (const instance of [other, api, other, api, other]) {
        const response = await fishCall(instance, 'GET', `${TASKS_PATH}/${created.body.id}`, { apiKey });
        statuses.push(response.status);
        if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        else expect(response.headers.get('x-ratelimit-limit')).toBe('4');
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      expect((await createTask(other, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' })).status).toBe(202);
    });
  });

  it('the profile counts against requests_per_minute; task polls do not', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    await api.app.get(DataSource).query(`UPDATE tenants SET rate_limit_requests_per_minute = 2 WHERE id = $1`, [tenantId]);
    const created = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    for (let index = 0; index < 3; index++)
      expect((await fishCall(other, 'GET', `${TASKS_PATH}/${created.body.id}`, { apiKey })).status).toBe(200);
    const statuses = [];
    for (const instance of [api, other, api]) statuses.push((await fishCall(instance, 'GET', '/api/open/v1/profile', { apiKey })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('Redis unreachable: the limiter answers 503 in the envelope with Retry-After', async () => {
    const cut = await startTestApi({ ...env, REDIS_URL: 'redis://127.0.0.1:1/0' });
    try {
      const { apiKey } = await cut.createTenant(1000);
      const response = await createTask(cut, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
      expectFishError(response, 503, 'service_unavailable');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await cut.close();
    }
  });

  it('unknown paths 404 and wrong methods 405 (with Allow), in the envelope', async () => {
    const { apiKey } = await api.createTenant(1000);
    expectFishError(await fishCall(api, 'GET', '/api/open/v1/nothing-here', { apiKey }), 404, 'not_found');
    expectFishError(await fishCall(api, 'GET', '/api/open', {}), 404, 'not_found');
    const wrong = await fishCall(api, 'DELETE', `${TASKS_PATH}/job_123`, { apiKey });
    expectFishError(wrong, 405, 'method_not_allowed');
    expect(wrong.headers.get('allow')).toBe('GET, HEAD');
    const list = await fishCall(api, 'GET', TASKS_PATH, { apiKey });
    expectFishError(list, 405, 'method_not_allowed');
    expect(list.headers.get('allow')).toBe('POST');
  });

  it('profile: account, balance, reserved credits, limits and tasks in flight', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000, 'Kampuni ya Sauti');
    await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    const profile = await fishCall(api, 'GET', '/api/open/v1/profile', { apiKey });
    expect(profile.status).toBe(200);
    const now = new Date();
    expect(profile.body).toEqual({
      tenant: { id: tenantId, name: 'Kampuni ya Sauti' },
      apiKeyId: expect.any(String),
      // The key has no budget; its spend this UTC month counts the two tasks' reservations.
      apiKeyBudget: {
        creditLimit: null,
        period: 'month',
        spent: 36,
        remaining: null,
        periodStart: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
        resetsAt: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString(),
      },
      credits: { balance: 1000 - 36, reserved: 36 },
      rateLimits: { requestsPerMinute: 600, jobCreatesPerMinute: 120, jobPollsPerMinute: 1200, maxActiveJobs: 20 },
      tasks: { queued: 2, processing: 0 },
    });
  });
});
