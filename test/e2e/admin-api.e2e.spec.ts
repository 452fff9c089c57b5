import request from 'supertest';
import { DataSource } from 'typeorm';
import { AdminKeysService } from '../../src/admin/auth/admin-keys.service';
import { CreditsService } from '../../src/billing/credits.service';
import { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { ADMIN_TOKEN, FLAKY_PROVIDER, startAdminFixture } from '../support/admin-fixture';
import { startTestApi, TestApi } from '../support/test-api';

/** Every admin endpoint, with a body where it takes one: each must refuse a caller that is not an operator. */
const TENANT = '00000000-0000-4000-8000-000000000000';
const ENDPOINTS: Array<[method: 'get' | 'post' | 'delete', path: string, body?: object]> = [
  ['get', '/admin/v1/session'],
  ['delete', '/admin/v1/session'],
  ['get', '/admin/v1/overview'],
  ['get', '/admin/v1/metrics/history'],
  ['get', '/admin/v1/tenants'],
  ['post', '/admin/v1/tenants', { name: 'x', credits: 1 }],
  ['get', `/admin/v1/tenants/${TENANT}`],
  ['post', `/admin/v1/tenants/${TENANT}/credits`, { amount: 1 }],
  ['get', `/admin/v1/tenants/${TENANT}/keys`],
  ['post', `/admin/v1/tenants/${TENANT}/keys`, { name: 'x' }],
  ['delete', `/admin/v1/tenants/${TENANT}/keys/${TENANT}`],
  ['get', '/admin/v1/failures'],
  ['get', '/admin/v1/routes'],
  ['post', '/admin/v1/try', { text: 'Habari', route: 'sauti-test-v1', tenant_id: TENANT }],
];

function call(api: TestApi, [method, path, body]: (typeof ENDPOINTS)[number]) {
  const pending = request(api.baseUrl)[method](path);
  return body ? pending.send(body) : pending;
}

async function signIn(api: TestApi, token = ADMIN_TOKEN): Promise<{ cookie: string; csrf: string }> {
  const response = await request(api.baseUrl).post('/admin/v1/session').send({ token });
  expect(response.status).toBe(200);
  return { cookie: response.headers['set-cookie'][0].split(';')[0], csrf: response.body.csrf_token };
}

describe('admin API: access', () => {
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

  it.each(ENDPOINTS)('%s %s without credentials → 401 in the admin envelope', async (...endpoint) => {
    const response = await call(api, endpoint);
    expect(response.status).toBe(401);
    expect(response.body.error).toMatchObject({ code: 'unauthorized' });
    expect(response.body.error.request_id).toEqual(expect.any(String));
  });

  it('no tenant API key opens it, in either header', async () => {
    const { apiKey } = await api.createTenant(100);
    for (const endpoint of ENDPOINTS) {
      expect((await call(api, endpoint).set('authorization', `Bearer ${apiKey}`)).status).toBe(401);
      expect((await call(api, endpoint).set('xi-api-key', apiKey)).status).toBe(401);
    }
  });

  it('refuses a wrong token at sign-in and sets an HttpOnly, SameSite=Strict cookie for the right one (Secure only on https)', async () => {
    const wrong = await request(api.baseUrl).post('/admin/v1/session').send({ token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const plain = await request(api.baseUrl).post('/admin/v1/session').send({ token: ADMIN_TOKEN });
    const cookie = plain.headers['set-cookie'][0];
    expect(cookie).toMatch(/^sauti_admin_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/admin\/v1/);
    expect(cookie).not.toMatch(/Secure/);
    expect(plain.body).toMatchObject({ signed_in_as: { kind: 'token' }, via: 'session', csrf_token: expect.any(String) });

    // Behind a TLS-terminating proxy on loopback (trust proxy), the cookie is Secure.
    const https = await request(api.baseUrl).post('/admin/v1/session').set('x-forwarded-proto', 'https').send({ token: ADMIN_TOKEN });
    expect(https.headers['set-cookie'][0]).toMatch(/; Secure/);
  });

  it('a session reads everything, and its CSRF token is required for every change (a forged change is refused)', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { cookie, csrf } = await signIn(api);
    expect((await request(api.baseUrl).get('/admin/v1/overview').set('cookie', cookie)).status).toBe(200);

    const path = `/admin/v1/tenants/${tenantId}/credits`;
    const noToken = await request(api.baseUrl).post(path).set('cookie', cookie).send({ amount: 500 });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('forbidden');
    const wrongToken = await request(api.baseUrl).post(path).set('cookie', cookie).set('x-csrf-token', 'guess').send({ amount: 500 });
    expect(wrongToken.status).toBe(403);
    const otherSite = await request(api.baseUrl)
      .post(path)
      .set('cookie', cookie)
      .set('x-csrf-token', csrf)
      .set('origin', 'http://evil.example')
      .send({ amount: 500 });
    expect(otherSite.status).toBe(403);
    // A cross-site form can only send form or text bodies: refused before anything is read.
    const form = await request(api.baseUrl).post(path).set('cookie', cookie).type('form').send('amount=500');
    expect(form.status).toBe(415);
    expect((await api.app.get(CreditsService).summary(tenantId)).balance).toBe(1000);

    const real = await request(api.baseUrl)
      .post(path)
      .set('cookie', cookie)
      .set('x-csrf-token', csrf)
      .set('origin', api.baseUrl)
      .send({ amount: 500 });
    expect(real.status).toBe(200);
    expect(real.body).toEqual({ tenant_id: tenantId, balance: 1500 });

    const signOut = await request(api.baseUrl).delete('/admin/v1/session').set('cookie', cookie).set('x-csrf-token', csrf);
    expect(signOut.status).toBe(204);
    expect((await request(api.baseUrl).get('/admin/v1/overview').set('cookie', cookie)).status).toBe(401);
  });

  it('scripts use Authorization: Bearer with the admin token, without CSRF tokens', async () => {
    const response = await request(api.baseUrl)
      .post('/admin/v1/tenants')
      .set('authorization', `Bearer ${ADMIN_TOKEN}`)
      .send({ name: 'scripted', credits: 250 });
    expect(response.status).toBe(201);
    expect(response.body.tenant).toMatchObject({ name: 'scripted', balance: 250, reserved: 0, spend_today: 0 });
    expect(response.body.api_key.secret).toMatch(/^sk_sauti_/);
    const account = await request(api.baseUrl).get('/v1/account').set('xi-api-key', response.body.api_key.secret);
    expect(account.body.credits.balance).toBe(250);
  });

  it('admin keys made with the CLI service work until revoked, and end their sessions when revoked', async () => {
    const keys = api.app.get(AdminKeysService);
    const { key, plaintext } = await keys.create('alice');
    expect(plaintext).toMatch(/^sauti_admin_/);
    expect((await request(api.baseUrl).get('/admin/v1/overview').set('authorization', `Bearer ${plaintext}`)).status).toBe(200);
    const { cookie } = await signIn(api, plaintext);
    await keys.revoke(key.id);
    expect((await request(api.baseUrl).get('/admin/v1/overview').set('authorization', `Bearer ${plaintext}`)).status).toBe(401);
    expect((await request(api.baseUrl).get('/admin/v1/session').set('cookie', cookie)).status).toBe(401);
    // Stored as a hash only.
    const [row] = await api.app.get(DataSource).query(`SELECT key_hash FROM admin_keys WHERE id = $1`, [key.id]);
    expect(row.key_hash).not.toContain(plaintext.slice(12, 30));
  });

  it('limits sign-in attempts per address', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++)
      statuses.push(
        (await request(api.baseUrl).post('/admin/v1/session').set('x-forwarded-for', '203.0.113.9').send({ token: 'wrong' })).status,
      );
    expect(statuses.slice(0, 10).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
  });

  it('documents /admin/v1 in its own OpenAPI document', async () => {
    const document = await request(api.baseUrl).get('/admin/docs-json');
    expect(document.status).toBe(200);
    for (const path of [
      '/admin/v1/overview',
      '/admin/v1/tenants',
      '/admin/v1/tenants/{tenantId}/credits',
      '/admin/v1/failures',
      '/admin/v1/try',
    ])
      expect(Object.keys(document.body.paths)).toContain(path);
    expect(document.body.components.securitySchemes).toHaveProperty('admin-token');
    void FLAKY_PROVIDER;
  });
});

describe('admin API: off without ADMIN_TOKEN', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ ADMIN_TOKEN: '' });
    // Another test file may have left admin keys: those turn it on, so none may be active here.
    await api.app.get(DataSource).query(`UPDATE admin_keys SET revoked_at = now() WHERE revoked_at IS NULL`);
  });
  afterAll(() => api.close());

  it.each(ENDPOINTS)('%s %s → 404 saying how to turn it on, nothing else', async (...endpoint) => {
    const response = await call(api, endpoint).set('authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(response.status).toBe(404);
    expect(response.body.error.details).toEqual({ admin_enabled: false });
    expect(response.body.error.message).toMatch(/ADMIN_TOKEN/);
  });

  it('sign-in is off too, and the page itself still loads to say so', async () => {
    expect((await request(api.baseUrl).post('/admin/v1/session').send({ token: ADMIN_TOKEN })).status).toBe(404);
    const page = await request(api.baseUrl).get('/dashboard/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });
});
