import request from 'supertest';
import { DataSource } from 'typeorm';
import { MetricsHistoryRecorder } from '../../src/metrics/metrics-history.recorder';
import { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { ADMIN_TOKEN, FLAKY_PROVIDER, startAdminFixture } from '../support/admin-fixture';
import { startTestApi, TestApi } from '../support/test-api';

const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** What the dashboard shows, read through the admin API with the admin token, as a script would. */
describe('admin API: what the dashboard shows', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;

  beforeAll(async () => {
    const fixture = await startAdminFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const admin = (method: 'get' | 'post', path: string) => request(api.baseUrl)[method](`/admin/v1${path}`).set(AUTH);

  it('lists a tenant with balance, reserved credits, spend today and this month (from the ledger) and top voices', async () => {
    const { tenantId, apiKey } = await api.createTenant(10_000, `spender-${Date.now()}`);
    for (const text of ['Habari za asubuhi.', 'Karibu sana.'])
      expect((await request(api.baseUrl).post('/v1/text-to-speech/sauti-test-v1').set('xi-api-key', apiKey).send({ text })).status).toBe(
        200,
      );
    // A job (over 2,000 characters) whose credits stay reserved while nobody works on it.
    const job = await request(api.baseUrl)
      .post('/v1/tts/jobs')
      .set('xi-api-key', apiKey)
      .send({ text: 'Habari. '.repeat(300), voice_id: 'sauti-test-v1' });
    expect(job.status).toBe(202);
    const spent = 'Habari za asubuhi.'.length + 'Karibu sana.'.length;
    const reserved = 'Habari. '.repeat(300).length;

    const page = await admin('get', `/tenants?q=${encodeURIComponent('spender-')}&limit=200`);
    expect(page.status).toBe(200);
    const row = page.body.tenants.find((tenant: { id: string }) => tenant.id === tenantId);
    expect(row).toMatchObject({ balance: 10_000 - spent - reserved, reserved, spend_today: spent, spend_month: spent });
    expect(row.top_voices).toEqual([{ voice: 'sauti-test-v1', jobs: 1, characters: reserved }]);
    expect((await admin('get', `/tenants/${tenantId}`)).body).toEqual(row);
  });

  it('tops up once per Idempotency-Key, and answers 404 / 422 for unknown tenants and bad amounts', async () => {
    const { tenantId } = await api.createTenant(0);
    for (let i = 0; i < 2; i++) {
      const response = await admin('post', `/tenants/${tenantId}/credits`).set('idempotency-key', 'topup-1').send({ amount: 700 });
      expect(response.body).toEqual({ tenant_id: tenantId, balance: 700 });
    }
    expect((await admin('post', `/tenants/00000000-0000-4000-8000-000000000000/credits`).send({ amount: 1 })).status).toBe(404);
    expect((await admin('post', `/tenants/not-a-uuid/credits`).send({ amount: 1 })).status).toBe(404);
    const negative = await admin('post', `/tenants/${tenantId}/credits`).send({ amount: -5 });
    expect(negative.status).toBe(422);
    expect(negative.body.error.field).toBe('amount');
  });

  it('creates and revokes API keys like the CLI; the secret is shown once and never listed', async () => {
    const { tenantId } = await api.createTenant(500);
    const created = await admin('post', `/tenants/${tenantId}/keys`).send({ name: 'staging' });
    expect(created.status).toBe(201);
    const secret = created.body.secret;
    expect((await request(api.baseUrl).get('/v1/account').set('xi-api-key', secret)).status).toBe(200);
    const listed = await admin('get', `/tenants/${tenantId}/keys`);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(listed.body.map((key: { name: string }) => key.name)).toEqual(['default', 'staging']);
    const revoked = await request(api.baseUrl).delete(`/admin/v1/tenants/${tenantId}/keys/${created.body.id}`).set(AUTH);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect((await request(api.baseUrl).get('/v1/account').set('xi-api-key', secret)).status).toBe(401);
    const other = await api.createTenant(1);
    expect((await request(api.baseUrl).delete(`/admin/v1/tenants/${other.tenantId}/keys/${listed.body[0].id}`).set(AUTH)).status).toBe(404);
  });

  it('lists failed requests (with request id and provider attempts) and failed jobs, newest first and filterable', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000, 'failing tenant');
    const failed = await request(api.baseUrl)
      .post('/v1/audio/speech')
      .set('authorization', `Bearer ${apiKey}`)
      .set('x-request-id', 'req-flaky-1')
      .send({ model: `${FLAKY_PROVIDER}/tts-1`, input: 'Habari', voice: 'alloy' });
    expect(failed.status).toBeGreaterThanOrEqual(500);
    await api.app.get(DataSource).query(
      `INSERT INTO synthesis_jobs (id, tenant_id, face, status, request, request_hash, characters, credits, result_ttl_seconds, error_code, error_message, routing_attempts, completed_at)
       VALUES ('job_admin_failed_1', $1, 'fish', 'failed', '{"route":"sauti-test-v1"}', repeat('0', 64), 6, 6, 3600, 'provider_timeout', 'vits timed out',
               '[{"provider":"vits","voice":"sauti-test-v1","outcome":"provider_timeout","durationMs":20000,"retries":0}]', now())`,
      [tenantId],
    );
    // The failed request is written after the answer: give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));

    const all = await admin('get', `/failures?tenant_id=${tenantId}`);
    expect(all.status).toBe(200);
    expect(all.body.failures.map((failure: { kind: string }) => failure.kind)).toEqual(['job', 'request']);
    const [job, requestFailure] = all.body.failures;
    expect(job).toMatchObject({
      request_id: 'job_admin_failed_1',
      code: 'provider_timeout',
      route: 'sauti-test-v1',
      tenant_name: 'failing tenant',
    });
    expect(job.attempts[0]).toMatchObject({ provider: 'vits', outcome: 'provider_timeout' });
    expect(requestFailure).toMatchObject({
      request_id: 'req-flaky-1',
      face: 'openai',
      endpoint: 'POST /v1/audio/speech',
      tenant_id: tenantId,
    });
    expect(requestFailure.attempts[0]).toMatchObject({ provider: FLAKY_PROVIDER });

    const byProvider = await admin('get', `/failures?kind=request&provider=${FLAKY_PROVIDER}&tenant_id=${tenantId}`);
    expect(byProvider.body.failures.map((failure: { request_id: string }) => failure.request_id)).toEqual(['req-flaky-1']);
    const byCode = await admin('get', `/failures?code=provider_timeout&tenant_id=${tenantId}`);
    expect(byCode.body.failures.map((failure: { kind: string }) => failure.kind)).toEqual(['job']);
    expect((await admin('get', '/failures?kind=nonsense')).status).toBe(422);
  });

  it('shows a provider’s breaker, error rate and the chart history after its calls fail', async () => {
    const { apiKey } = await api.createTenant(1000);
    const recorder = api.app.get(MetricsHistoryRecorder);
    const slotMs = 10_000;
    // Two slots back, so the slot is complete (the chart leaves the slot in progress out).
    const at = Date.now() - 2 * slotMs;
    await recorder.record(at);
    for (let i = 0; i < 2; i++)
      await request(api.baseUrl)
        .post('/v1/audio/speech')
        .set('authorization', `Bearer ${apiKey}`)
        .send({ model: `${FLAKY_PROVIDER}/tts-1`, input: 'Habari', voice: 'alloy' });
    await recorder.record(at);

    const overview = await admin('get', '/overview');
    const flaky = overview.body.providers.find((provider: { id: string }) => provider.id === FLAKY_PROVIDER);
    expect(flaky.status).toBe('degraded');
    expect(flaky.processes[0]).toMatchObject({ role: 'api', breaker: 'open' });
    // The earlier test's failure and the first one here open it; the second call is refused by the breaker.
    expect(flaky.recent.failures).toBeGreaterThanOrEqual(1);
    expect(flaky.recent.error_rate).toBe(1);
    expect(overview.body.dependencies.database.status).toBe('up');
    expect(overview.body.jobs).toMatchObject({ queued: expect.any(Number), last_hour: expect.any(Object) });

    const history = await admin('get', '/metrics/history');
    expect(history.body.slot_seconds).toBe(10);
    expect(history.body.slots).toHaveLength(360);
    const index = history.body.slots.indexOf(Math.floor(at / slotMs) * 10);
    expect(history.body.providers[FLAKY_PROVIDER].failures[index]).toBeGreaterThanOrEqual(1);
    expect(history.body.faces.openai.per_second[index]).toBeGreaterThan(0);
    const since = await admin('get', `/metrics/history?since=${history.body.slots.at(-3)}`);
    expect(since.body.slots).toEqual(history.body.slots.slice(-2));
  });

  it('speaks a text on the chosen route, billed to the chosen tenant', async () => {
    const { tenantId } = await api.createTenant(1000);
    const routes = await admin('get', '/routes');
    expect(routes.body.map((route: { id: string }) => route.id)).toEqual(
      expect.arrayContaining(['sauti-swahili-v1', 'sauti-test-v1', 'espeak/sw']),
    );
    const spoken = await admin('post', '/try').send({ text: 'Habari za asubuhi.', route: 'sauti-test-v1', tenant_id: tenantId });
    expect(spoken.status).toBe(200);
    expect(spoken.body).toMatchObject({ provider: 'vits', characters: 18, credits: 18, balance: 982, content_type: 'audio/wav' });
    expect(Buffer.from(spoken.body.audio_base64, 'base64').subarray(0, 4).toString()).toBe('RIFF');
    const poor = await api.createTenant(1);
    expect(
      (await admin('post', '/try').send({ text: 'Habari za asubuhi.', route: 'sauti-test-v1', tenant_id: poor.tenantId })).status,
    ).toBe(402);
    expect((await admin('post', '/try').send({ text: 'Habari', route: 'no-such-voice', tenant_id: tenantId })).status).toBe(400);
  });
});
