import request from 'supertest';
import { ApiKeysService } from '../../src/tenants/api-keys.service';
import { startTestApi, TestApi } from '../support/test-api';

/** /v1/keys: a tenant manages its own keys; never another tenant's, never a secret twice. */
describe('API keys self-service (/v1/keys)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  const as = (apiKey: string) => ({
    get: (path: string) => request(api.baseUrl).get(path).set('xi-api-key', apiKey),
    post: (path: string, body: object) => request(api.baseUrl).post(path).set('xi-api-key', apiKey).send(body),
    patch: (path: string, body: object) => request(api.baseUrl).patch(path).set('xi-api-key', apiKey).send(body),
    delete: (path: string) => request(api.baseUrl).delete(path).set('xi-api-key', apiKey),
  });

  it('creates (secret shown once), lists without secrets, changes the budget, deletes', async () => {
    const { apiKey } = await api.createTenant(1000);
    const owner = as(apiKey);
    const created = await owner.post('/v1/keys', { name: 'staging', credit_limit: 5000, period: 'month' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'staging',
      prefix: expect.stringMatching(/^sk_sauti_/),
      secret: expect.stringMatching(/^sk_sauti_/),
      last_used_at: null,
      revoked_at: null,
      budget: { credit_limit: 5000, period: 'month', spent: 0, remaining: 5000 },
    });
    expect(created.body.secret.startsWith(created.body.prefix)).toBe(true);

    // The new key works, and its use is recorded (in a batch, not per request).
    expect((await as(created.body.secret).get('/v1/account')).status).toBe(200);
    await api.app.get(ApiKeysService).flushLastUsed();

    const listed = await owner.get('/v1/keys');
    expect(listed.status).toBe(200);
    expect(listed.body.keys.map((key: { name: string }) => key.name)).toEqual(['default', 'staging']);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect(JSON.stringify(listed.body)).not.toContain(apiKey);
    const staging = listed.body.keys.find((key: { id: string }) => key.id === created.body.id);
    expect(staging.last_used_at).toEqual(expect.any(String));

    const changed = await owner.patch(`/v1/keys/${created.body.id}`, { credit_limit: 100, period: 'day', name: 'staging-2' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ name: 'staging-2', budget: { credit_limit: 100, period: 'day' } });
    expect(changed.body.secret).toBeUndefined();
    const onlyLimit = await owner.patch(`/v1/keys/${created.body.id}`, { credit_limit: 200 });
    expect(onlyLimit.body.budget).toMatchObject({ credit_limit: 200, period: 'day' });
    const removed = await owner.patch(`/v1/keys/${created.body.id}`, { credit_limit: null });
    expect(removed.body.budget).toMatchObject({ credit_limit: null, period: 'day', remaining: null });

    expect((await owner.delete(`/v1/keys/${created.body.id}`)).status).toBe(204);
    expect((await as(created.body.secret).get('/v1/account')).status).toBe(401);
    expect((await owner.get('/v1/keys')).body.keys).toHaveLength(1);
    const all = await owner.get('/v1/keys?include_revoked=true');
    expect(all.body.keys.find((key: { id: string }) => key.id === created.body.id).revoked_at).toEqual(expect.any(String));
  });

  it("never sees or touches another tenant's keys", async () => {
    const mine = await api.createTenant(1000);
    const theirs = await api.createTenant(1000);
    const theirKey = (await as(theirs.apiKey).get('/v1/keys')).body.keys[0];
    const me = as(mine.apiKey);
    const listed = await me.get('/v1/keys');
    expect(listed.body.keys.map((key: { id: string }) => key.id)).not.toContain(theirKey.id);
    for (const response of [
      await me.get(`/v1/keys/${theirKey.id}`),
      await me.patch(`/v1/keys/${theirKey.id}`, { credit_limit: 1 }),
      await me.delete(`/v1/keys/${theirKey.id}`),
      await me.get('/v1/keys/not-a-uuid'),
    ]) {
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect((await as(theirs.apiKey).get('/v1/account')).status).toBe(200);
  });

  it('the last key cannot be deleted, two keys deleting each other at once leave one, and a budgeted key cannot manage keys', async () => {
    const { apiKey } = await api.createTenant(1000);
    const owner = as(apiKey);
    const ownId = (await owner.get('/v1/account')).body.api_key_id;
    const last = await owner.delete(`/v1/keys/${ownId}`);
    expect(last.status).toBe(403);
    expect(last.body).toMatchObject({ code: 'forbidden', detail: expect.stringMatching(/last active API key/) });

    const other = await owner.post('/v1/keys', { name: 'other' });
    const racing = await Promise.all([owner.delete(`/v1/keys/${other.body.id}`), as(other.body.secret).delete(`/v1/keys/${ownId}`)]);
    expect(racing.map((response) => response.status).sort()).toEqual([204, 403].sort());
    const working = [(await owner.get('/v1/account')).status, (await as(other.body.secret).get('/v1/account')).status];
    expect(working.sort()).toEqual([200, 401]);

    const survivor = racing[0].status === 204 ? owner : as(other.body.secret);
    const capped = await survivor.post('/v1/keys', { name: 'contractor', credit_limit: 10, period: 'day' });
    const contractor = as(capped.body.secret);
    expect((await contractor.get('/v1/keys')).status).toBe(200);
    for (const response of [
      await contractor.post('/v1/keys', { name: 'uncapped' }),
      await contractor.patch(`/v1/keys/${capped.body.id}`, { credit_limit: null }),
      await contractor.delete(`/v1/keys/${capped.body.id}`),
    ]) {
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('forbidden');
    }
  });

  it('refuses bad budgets in the Sauti envelope', async () => {
    const { apiKey } = await api.createTenant(1000);
    const owner = as(apiKey);
    for (const [body, field] of [
      [{ credit_limit: -1 }, 'credit_limit'],
      [{ credit_limit: 1.5 }, 'credit_limit'],
      [{ credit_limit: 10, period: 'week' }, 'period'],
      [{ name: '' }, 'name'],
      [{ secret: 'x' }, 'secret'],
    ] as Array<[object, string]>) {
      const refused = await owner.post('/v1/keys', body);
      expect([refused.status, refused.body.field]).toEqual([422, field]);
    }
    expect((await request(api.baseUrl).put('/v1/keys')).status).toBe(405);
  });
});
