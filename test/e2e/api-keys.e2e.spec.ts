import { PassThrough } from 'node:stream';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { RootLogger } from '../../src/logging/root-logger';
import { ApiKeysService } from '../../src/tenants/api-keys.service';
import { startTestApi, TestApi } from '../support/test-api';

describe('API keys', () => {
  let api: TestApi;
  const logged: string[] = [];

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
    RootLogger.destinationOverride = sink;
    api = await startTestApi({ LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await api.close();
    RootLogger.destinationOverride = undefined;
  });

  it('authenticates a new key through xi-api-key and through Authorization: Bearer', async () => {
    const { tenantId, apiKey } = await api.createTenant(10);
    expect(apiKey).toMatch(/^sk_sauti_[A-Za-z0-9_-]{43}$/);
    const viaXi = await request(api.baseUrl).get('/v1/account').set('xi-api-key', apiKey);
    expect(viaXi.status).toBe(200);
    expect(viaXi.body).toMatchObject({ tenant: { id: tenantId }, credits: { balance: 10, reserved: 0 } });
    const viaBearer = await request(api.baseUrl).get('/v1/account').set('authorization', `Bearer ${apiKey}`);
    expect(viaBearer.status).toBe(200);
    expect(viaBearer.body.tenant.id).toBe(tenantId);
  });

  it('answers a missing, unknown or revoked key with a JSON 401', async () => {
    const { apiKey } = await api.createTenant(10);
    const missing = await request(api.baseUrl).get('/v1/account');
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('unauthorized');
    const unknown = await request(api.baseUrl).get('/v1/account').set('xi-api-key', 'sk_sauti_not-a-real-key');
    expect(unknown.status).toBe(401);
    expect(unknown.headers['content-type']).toMatch(/^application\/json/);

    const keys = api.app.get(ApiKeysService);
    const principal = await keys.authenticate(apiKey);
    await keys.revoke(principal!.apiKeyId);
    const revoked = await request(api.baseUrl).get('/v1/account').set('authorization', `Bearer ${apiKey}`);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('unauthorized');
  });

  it('never stores or logs the plaintext key, and records last use without a write per request', async () => {
    const { tenantId, apiKey } = await api.createTenant(10);
    for (let i = 0; i < 3; i++) await request(api.baseUrl).get('/v1/account').set('xi-api-key', apiKey).expect(200);
    const dataSource = api.app.get(DataSource);
    const before = await dataSource.query(`SELECT last_used_at FROM api_keys WHERE tenant_id = $1`, [tenantId]);
    expect(before[0].last_used_at).toBeNull();
    await api.app.get(ApiKeysService).flushLastUsed();
    const rows = await dataSource.query(`SELECT k.*::text AS row_text, k.last_used_at FROM api_keys k WHERE tenant_id = $1`, [tenantId]);
    expect(rows[0].last_used_at).not.toBeNull();
    expect(rows[0].row_text).not.toContain(apiKey.slice('sk_sauti_'.length));
    const ledger = await dataSource.query(`SELECT string_agg(t::text, ' ') AS all_text FROM tenants t`);
    expect(ledger[0].all_text).not.toContain(apiKey);

    await new Promise((resolve) => setTimeout(resolve, 50));
    const logText = logged.join('');
    expect(logText).toContain(`"tenantId":"${tenantId}"`);
    expect(logText).not.toContain(apiKey);
    expect(logText).not.toContain(apiKey.slice('sk_sauti_'.length));
  });
});

describe('API keys cached for API_KEY_CACHE_TTL_MS', () => {
  const TTL_MS = 1000;
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ API_KEY_CACHE_TTL_MS: String(TTL_MS) });
  });
  afterAll(() => api.close());

  it('keeps a key in use authenticated from memory past the TTL, and still applies a revocation made elsewhere within it', async () => {
    const { apiKey } = await api.createTenant(10);
    const keys = api.app.get(ApiKeysService);
    const dataSource = api.app.get(DataSource);
    // authenticate()'s own lookup of one key, and the background refresh of the keys in use.
    const lookUp = jest.spyOn(keys as unknown as { lookUp: (hash: string, now: number) => Promise<unknown> }, 'lookUp');
    const refresh = jest.spyOn(keys, 'refreshKeysInUse');
    const ownLookups = () => lookUp.mock.calls.length;
    try {
      const principal = await keys.authenticate(apiKey);
      expect(principal).toBeDefined();
      expect(ownLookups()).toBe(1);
      // Two and a half lifetimes later the key still answers from memory: the refresh looked it up meanwhile.
      await new Promise((resolve) => setTimeout(resolve, TTL_MS * 2.5));
      expect(await keys.authenticate(apiKey)).toEqual(principal);
      expect(ownLookups()).toBe(1);
      expect(refresh).toHaveBeenCalled();

      // Revoked by another api instance: this one's cache is not told. No entry outlives its lifetime
      // unless a lookup after the revocation extended it, so one TTL later the key is refused.
      await dataSource.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [principal!.apiKeyId]);
      await new Promise((resolve) => setTimeout(resolve, TTL_MS + 1));
      expect(await keys.authenticate(apiKey)).toBeUndefined();
      const refused = await request(api.baseUrl).get('/v1/account').set('xi-api-key', apiKey);
      expect(refused.status).toBe(401);
    } finally {
      lookUp.mockRestore();
      refresh.mockRestore();
    }
  });
});
