import { DataSource } from 'typeorm';
import { TtsError } from '../../src/common/tts-error';
import { RateLimitLeases } from '../../src/tenants/rate-limit-leases';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { toneWav } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
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
    api = await startTestApi({ ...fixture.env, AUDIO_CACHE_ENABLED: 'true' });
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

  describe('admitted ahead: a key known to have room starts its speech while Redis answers', () => {
    let ahead: jest.SpyInstance;
    beforeEach(() => {
      ahead = jest.spyOn(api.app.get(RateLimitLeases), 'mayRunAhead').mockReturnValue(true);
    });
    afterEach(() => ahead.mockRestore());

    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const kinds = async (tenantId: string) =>
      (
        (await api.app
          .get(DataSource)
          .query(`SELECT kind FROM credit_ledger WHERE tenant_id = $1 AND kind <> 'topup' ORDER BY id`, [tenantId])) as Array<{
          kind: string;
        }>
      ).map((row) => row.kind);
    const balance = async (tenantId: string) =>
      Number((await api.app.get(DataSource).query(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]))[0].credit_balance);
    const answeredWithin = (answer: Promise<Response>, ms: number) => Promise.race([answer.then(() => true), sleep(ms).then(() => false)]);
    const refusal = () =>
      new TtsError('rate_limited', 'Too many requests.', { retryAfterSeconds: 7, details: { bucket: 'requests', limit: 1 } });

    it('OpenAI: the upstream is called while the limit is decided; nothing reaches the client before it lets the request through', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      const answer = speech(apiKey, valid);
      await waitForTake();
      await eventually(() => expect(upstream.calls).toBe(1));
      expect(await answeredWithin(answer, 200)).toBe(false);
      held!.resolve(41);
      const response = await answer;
      expect(response.status).toBe(200);
      expect(response.headers.get('x-ratelimit-remaining')).toBe('41');
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(44);
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'settle']));
    });

    it('ElevenLabs /stream runs ahead the same way', async () => {
      const { apiKey } = await api.createTenant(1000);
      const answer = fetch(`${api.baseUrl}/elevenlabs/v1/text-to-speech/${FAKE_VOICE}/stream?output_format=pcm_16000`, {
        method: 'POST',
        headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Habari ya ElevenLabs.' }),
      });
      await waitForTake();
      await eventually(() => expect(upstream.calls).toBe(1));
      expect(await answeredWithin(answer, 200)).toBe(false);
      held!.resolve(12);
      const response = await answer;
      expect(response.status).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    });

    it('refused after running ahead: 429 with Retry-After, the upstream call closed, the reservation released whole (cancelled), nothing cached', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      upstream.enqueue({
        status: 200,
        headers: { 'content-type': 'audio/wav' },
        body: toneWav(1, 16000),
        pieces: { count: 10, intervalMs: 100 },
      });
      const answer = speech(apiKey, { ...valid, input: 'Jibu litakalokataliwa.' });
      await waitForTake();
      await eventually(() => expect(upstream.calls).toBe(1));
      held!.reject(refusal());
      const response = await answer;
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      await eventually(() => expect(upstream.requests[0].abandoned).toBe(true));
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'release']));
      expect(await balance(tenantId)).toBe(1000);
      const [event] = await api.app.get(DataSource).query(`SELECT status FROM usage_events WHERE tenant_id = $1`, [tenantId]);
      expect(event.status).toBe('cancelled');
      const stored = await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM audio_cache WHERE scope = $1`, [tenantId]);
      expect(stored[0].n).toBe(0);
    });

    it('a refusal stops a provider call that has not answered yet: 429 at once, the call closed, the reservation released', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      upstream.enqueue({ hang: true });
      const answer = speech(apiKey, { ...valid, input: 'Mtoa huduma hajajibu bado.' });
      await waitForTake();
      await eventually(() => expect(upstream.calls).toBe(1));
      const refused = performance.now();
      held!.reject(refusal());
      const response = await answer;
      expect(response.status).toBe(429);
      expect(performance.now() - refused).toBeLessThan(1500); // not the provider's timeout
      await eventually(() => expect(upstream.requests[0].abandoned).toBe(true));
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'release']));
      const [event] = await api.app.get(DataSource).query(`SELECT status FROM usage_events WHERE tenant_id = $1`, [tenantId]);
      expect(event.status).toBe('cancelled');
    });

    it("what the request names wrongly waits for the limit's answer: a refusal is 429, not the face's 404", async () => {
      const { apiKey } = await api.createTenant(1000);
      const answer = fetch(`${api.baseUrl}/elevenlabs/v1/text-to-speech/no-such-voice/stream`, {
        method: 'POST',
        headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Sauti isiyojulikana.' }),
      });
      await waitForTake();
      expect(await answeredWithin(answer, 200)).toBe(false);
      held!.reject(refusal());
      expect((await answer).status).toBe(429);
    });

    it('a cache hit read ahead and then refused is given back: 429, and the hit charge returned', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      const body = { ...valid, input: 'Sentensi iliyohifadhiwa.' };
      const first = speech(apiKey, body);
      await waitForTake();
      held!.resolve(5);
      expect((await first).headers.get('x-cache')).toBe('miss');
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'settle']));
      held = undefined;
      const second = speech(apiKey, body);
      await waitForTake();
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'settle', 'cache_hit']));
      expect(await answeredWithin(second, 100)).toBe(false);
      held!.reject(refusal());
      expect((await second).status).toBe(429);
      await eventually(async () => expect(await kinds(tenantId)).toEqual(['reserve', 'settle', 'cache_hit', 'release']));
      expect(await balance(tenantId)).toBe(1000 - 24);
      expect(upstream.calls).toBe(1);
    });
  });
});
