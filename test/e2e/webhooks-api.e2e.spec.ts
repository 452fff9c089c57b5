import request from 'supertest';
import { expectProblem } from './sauti-e2e.helpers';
import { startTestApi, TestApi } from '../support/test-api';

/** A public address that needs no DNS (TEST-NET-3): registration accepts it; nothing is ever sent in these tests. */
const PUBLIC_URL = 'https://203.0.113.10/hooks/tts';

describe('webhook endpoints API (Sauti face)', () => {
  let api: TestApi;
  let key: string;
  let base: string;

  beforeAll(async () => {
    // No allow-list and no http: the production rules.
    api = await startTestApi();
    base = api.config.http.publicBaseUrl;
    ({ apiKey: key } = await api.createTenant(100));
  });
  afterAll(() => api.close());

  const http = () => request(api.app.getHttpServer());
  const create = (body: object, apiKey = key) => http().post('/v1/webhooks').set('xi-api-key', apiKey).send(body);

  it('registers an endpoint: 201 with the whsec_ secret once; listing and reading never show it', async () => {
    const created = await create({ url: PUBLIC_URL, events: ['job.succeeded'], description: 'narration' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^wh_[A-Za-z0-9_-]{24}$/),
      url: PUBLIC_URL,
      description: 'narration',
      events: ['job.succeeded'],
      enabled: true,
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
      previous_secret_expires_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/),
    });
    const listed = await http().get('/v1/webhooks').set('xi-api-key', key);
    expect(listed.status).toBe(200);
    expect(listed.body.webhooks).toContainEqual({ ...created.body, secret: undefined });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    const read = await http().get(`/v1/webhooks/${created.body.id}`).set('xi-api-key', key);
    expect(read.body).not.toHaveProperty('secret');

    const all = await create({ url: PUBLIC_URL });
    expect(all.body.events).toEqual(['job.succeeded', 'job.failed', 'job.expired', 'account.low_balance']);
  });

  it('rotates the secret: a new one, and the old one valid until previous_secret_expires_at (24 h by default)', async () => {
    const { body: endpoint } = await create({ url: PUBLIC_URL });
    const rotated = await http().post(`/v1/webhooks/${endpoint.id}/rotate-secret`).set('xi-api-key', key);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const graceMs = new Date(rotated.body.previous_secret_expires_at).getTime() - Date.now();
    expect(graceMs).toBeGreaterThan(24 * 3600 * 1000 - 60_000);
    expect(graceMs).toBeLessThanOrEqual(24 * 3600 * 1000);
  });

  it('changes, disables, re-enables and removes an endpoint', async () => {
    const { body: endpoint } = await create({ url: PUBLIC_URL });
    const paused = await http()
      .patch(`/v1/webhooks/${endpoint.id}`)
      .set('xi-api-key', key)
      .send({ enabled: false, events: ['job.failed'] });
    expect(paused.body).toMatchObject({ enabled: false, disabled_reason: 'disabled by the tenant', events: ['job.failed'] });
    const resumed = await http().patch(`/v1/webhooks/${endpoint.id}`).set('xi-api-key', key).send({ enabled: true });
    expect(resumed.body).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });
    expect((await http().delete(`/v1/webhooks/${endpoint.id}`).set('xi-api-key', key)).status).toBe(204);
    expectProblem(await http().get(`/v1/webhooks/${endpoint.id}`).set('xi-api-key', key), base, 404, 'not_found');
    const deliveries = await http().get(`/v1/webhooks/${endpoint.id}/deliveries`).set('xi-api-key', key);
    expectProblem(deliveries, base, 404, 'not_found');
  });

  it.each([
    ['plain http', { url: 'http://203.0.113.10/' }, /must be https/],
    ['loopback (no allow-list here)', { url: 'https://127.0.0.1:8443/hook' }, /loopback, private, link-local or metadata/],
    ['the metadata address', { url: 'https://169.254.169.254/latest/meta-data/' }, /loopback, private, link-local or metadata/],
    ['a private network', { url: 'https://[fd00::1]/' }, /loopback, private, link-local or metadata/],
    ['credentials in the URL', { url: 'https://a:b@203.0.113.10/' }, /user name or password/],
    ['not a URL', { url: 'example' }, /absolute URL/],
    ['an unknown event', { url: PUBLIC_URL, events: ['job.created'] }, /events/],
    ['no events', { url: PUBLIC_URL, events: [] }, /events/],
    ['no url', {}, /url/],
    ['an unknown field', { url: PUBLIC_URL, callback: 'x' }, /callback/],
  ])('refuses %s with a 422 problem', async (_name, body, detail) => {
    expectProblem(await create(body), base, 422, 'unprocessable_content', detail);
  });

  it("another account's endpoint, an unknown id and an id that cannot exist are 404 problems", async () => {
    const { body: endpoint } = await create({ url: PUBLIC_URL });
    const { apiKey: stranger } = await api.createTenant(10, 'stranger');
    for (const path of [
      `/v1/webhooks/${endpoint.id}`,
      '/v1/webhooks/wh_AAAAAAAAAAAAAAAAAAAAAAAA',
      '/v1/webhooks/%00',
      '/v1/webhooks/x%00y/deliveries',
    ]) {
      expectProblem(await http().get(path).set('xi-api-key', stranger), base, 404, 'not_found');
    }
    expectProblem(await http().delete(`/v1/webhooks/${endpoint.id}`).set('xi-api-key', stranger), base, 404, 'not_found');
    expectProblem(await http().post(`/v1/webhooks/${endpoint.id}/rotate-secret`).set('xi-api-key', stranger), base, 404, 'not_found');
    const retry = await http()
      .post(`/v1/webhooks/${endpoint.id}/deliveries/msg_00000000000000000000000000000000/retry`)
      .set('xi-api-key', key);
    expectProblem(retry, base, 404, 'not_found', /Delivery/);
    expectProblem(await http().post(`/v1/webhooks/${endpoint.id}/deliveries/%00/retry`).set('xi-api-key', key), base, 404, 'not_found');
    expect((await http().get(`/v1/webhooks/${endpoint.id}`).set('xi-api-key', key)).status).toBe(200);
  });

  it('needs an API key, validates the log query, and answers wrong methods with 405 and Allow', async () => {
    expectProblem(await http().get('/v1/webhooks'), base, 401, 'unauthorized');
    const { body: endpoint } = await create({ url: PUBLIC_URL });
    const log = await http().get(`/v1/webhooks/${endpoint.id}/deliveries?limit=10`).set('xi-api-key', key);
    expect(log.body).toEqual({ deliveries: [], next_before: null });
    expectProblem(
      await http().get(`/v1/webhooks/${endpoint.id}/deliveries?limit=1000`).set('xi-api-key', key),
      base,
      422,
      'unprocessable_content',
    );
    expectProblem(
      await http().get(`/v1/webhooks/${endpoint.id}/deliveries?status=lost`).set('xi-api-key', key),
      base,
      422,
      'unprocessable_content',
    );
    const wrong = await http().put('/v1/webhooks').set('xi-api-key', key).send({});
    expectProblem(wrong, base, 405, 'method_not_allowed');
    expect(wrong.headers.allow).toBe('GET, HEAD, POST');
  });

  it('is documented in the Swagger document', async () => {
    const document = (await http().get('/docs-json')).body;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks',
        '/v1/webhooks/{webhook_id}',
        '/v1/webhooks/{webhook_id}/rotate-secret',
        '/v1/webhooks/{webhook_id}/deliveries',
        '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry',
      ]),
    );
    expect(Object.keys(document.paths['/v1/webhooks'])).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(document.paths['/v1/webhooks/{webhook_id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
    expect(document.components.schemas.SautiWebhookWithSecretDto.required).toContain('secret');
  });
});
