import { DataSource } from 'typeorm';
import { TtsError } from '../../src/common/tts-error';
import { RateLimitLeases } from '../../src/tenants/rate-limit-leases';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

/**
 * On the speech endpoints the key's rate limit (a Redis call) runs while the body is validated
 * (`@Admitted()`), and the handler waits for it. The rate limit's answer is held back here by hand, so
 * what happens meanwhile is seen without timing guesses.
 */
describe('the rate limit decided while the request is validated', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let held: { resolve: (remaining: number) => void; reject: (error: Error) => void } | undefined;
  let takeSpy: jest.SpyInstance;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
  });
  beforeEach(() => {
    const leases = api.app.get(RateLimitLeases);
    takeSpy = jest.spyOn(leases, 'take').mockImplementation(() => new Promise<number>((resolve, reject) => (held = { resolve, reject })));
  });
  afterEach(() => {
    takeSpy.mockRestore();
    held = undefined;
    upstream.reset();
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const speech = (apiKey: string, body: Record<string, unknown>) =>
    fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const valid = { model: 'fake/fake-model', voice: 'nova', input: 'Habari ya leo.', response_format: 'wav' };
  const ledger = async (tenantId: string) =>
    (await api.app.get(DataSource).query(`SELECT kind FROM credit_ledger WHERE tenant_id = $1 AND kind <> 'topup'`, [tenantId])).length;
  const waitForTake = async () => {
    for (let i = 0; i < 250 && !held; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held).toBeDefined();
  };

  it('an invalid body is answered 400 without waiting for the rate limit', async () => {
    const { apiKey } = await api.createTenant(1000);
    const response = await speech(apiKey, { ...valid, speed: 9 });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    expect(takeSpy).toHaveBeenCalledTimes(1); // counted all the same
  });

  it('a valid request waits for the rate limit: nothing reserved, no upstream call until it lets the request through', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const answer = speech(apiKey, valid);
    await waitForTake();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(upstream.calls).toBe(0);
    expect(await ledger(tenantId)).toBe(0);
    held!.resolve(41);
    const response = await answer;
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('41');
    expect(upstream.calls).toBe(1);
  });

  it('a refusal is 429 in the face envelope with Retry-After; nothing reserved, no upstream call', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const answer = speech(apiKey, valid);
    await waitForTake();
    held!.reject(new TtsError('rate_limited', 'Too many requests.', { retryAfterSeconds: 7, details: { bucket: 'requests', limit: 1 } }));
    const response = await answer;
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(((await response.json()) as { error: { type: string; code: string } }).error).toMatchObject({
      type: 'rate_limit_error',
      code: 'rate_limited',
    });
    expect(upstream.calls).toBe(0);
    expect(await ledger(tenantId)).toBe(0);
  });
});
