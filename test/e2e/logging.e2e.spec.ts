import { PassThrough } from 'node:stream';
import request from 'supertest';
import { CreditsService } from '../../src/billing/credits.service';
import { RootLogger } from '../../src/logging/root-logger';
import { startTestApi, TestApi } from '../support/test-api';

type LogLine = Record<string, unknown>;

/** What the api logs, as operators' log shippers read it: one JSON document per line. */
describe('api logs (JSON lines, redacted)', () => {
  let api: TestApi;
  const written: string[] = [];
  const lines = (): LogLine[] =>
    written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogLine);
  const accessLine = (requestId: string) => lines().find((line) => line.msg === 'request' && line.requestId === requestId);

  beforeAll(async () => {
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => written.push(chunk.toString()));
    RootLogger.destinationOverride = sink;
    api = await startTestApi({ LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
  });
  afterAll(async () => {
    await api.close();
    RootLogger.destinationOverride = undefined;
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('one line per request, with the same fields as before (no query string, no headers)', async () => {
    const { tenantId, apiKey } = await api.createTenant(10);
    const anonymous = await request(api.baseUrl).get('/health/live?api_key=sk_sauti_in_the_query').set('x-request-id', 'plain-id-1');
    const authenticated = await request(api.baseUrl).get('/v1/account').set('xi-api-key', apiKey);
    await settle();

    const first = accessLine('plain-id-1')!;
    expect(Object.keys(first)).toEqual(['level', 'time', 'process', 'name', 'requestId', 'method', 'path', 'status', 'durationMs', 'msg']);
    expect(first).toMatchObject({
      level: 'info',
      process: 'api',
      name: 'api',
      method: 'GET',
      path: '/health/live',
      status: anonymous.status,
    });
    expect(first.durationMs).toEqual(expect.any(Number));
    expect(new Date(first.time as string).toISOString()).toBe(first.time);

    const second = accessLine(authenticated.headers['x-request-id'])!;
    expect(second).toMatchObject({ method: 'GET', path: '/v1/account', status: 200, tenantId });
    expect(lines().filter((line) => line.requestId === authenticated.headers['x-request-id'] && line.msg === 'request')).toHaveLength(1);
    expect(written.join('')).not.toContain('sk_sauti_in_the_query');
  });

  it('requests refused before Nest (malformed JSON, wrong content type) are logged too', async () => {
    const malformed = await request(api.baseUrl)
      .post('/v1/text-to-speech/sauti-test-v1')
      .set('content-type', 'application/json')
      .send('{"text":');
    const wrongType = await request(api.baseUrl).post('/v1/audio/speech').set('content-type', 'text/plain').send('hello');
    await settle();
    expect(accessLine(malformed.headers['x-request-id'])).toMatchObject({
      status: malformed.status,
      path: '/v1/text-to-speech/sauti-test-v1',
    });
    expect(accessLine(wrongType.headers['x-request-id'])).toMatchObject({ status: wrongType.status, path: '/v1/audio/speech' });
    expect([malformed.status, wrongType.status]).toEqual([400, 415]);
  });

  it("a line written while serving a request carries that request's id", async () => {
    const { apiKey } = await api.createTenant(10);
    const credits = api.app.get(CreditsService);
    const spy = jest.spyOn(credits, 'balanceAndReserved').mockRejectedValueOnce(new Error('ledger on fire'));
    try {
      const failed = await request(api.baseUrl).get('/v1/account').set('authorization', `Bearer ${apiKey}`);
      await settle();
      expect(failed.status).toBe(500);
      const requestId = failed.headers['x-request-id'];
      const unexpected = lines().filter((line) => line.msg === 'unexpected error');
      expect(unexpected).toHaveLength(1);
      expect(unexpected[0]).toMatchObject({ level: 'error', requestId, path: '/v1/account', err: { message: 'ledger on fire' } });
      expect(accessLine(requestId)).toMatchObject({ status: 500 });
    } finally {
      spy.mockRestore();
    }
  });

  it('API keys and upstream secrets are redacted by the logger configuration, wherever they sit', async () => {
    const { apiKey } = await api.createTenant(10);
    const clientKey = apiKey;
    const upstreamKey = 'sk-upstream-0123456789';
    await request(api.baseUrl).get('/v1/account').set('authorization', `Bearer ${clientKey}`).set('x-api-key', clientKey).expect(200);
    written.length = 0;
    const logger = api.app.get(RootLogger).pino;
    logger.warn(
      {
        headers: { 'xi-api-key': clientKey, 'x-api-key': clientKey, authorization: `Bearer ${clientKey}`, accept: '*/*' },
        req: { headers: { Authorization: `Bearer ${clientKey}`, cookie: 'session=1' } },
        body: { api_key: clientKey, text: 'habari' },
        provider: { id: 'openai', apiKey: upstreamKey },
        err: { config: { headers: { Authorization: `Bearer ${upstreamKey}`, 'xi-api-key': upstreamKey } } },
        apiKey: clientKey,
      },
      'everything a careless line could carry',
    );
    await settle();
    const text = written.join('');
    expect(text).not.toContain(clientKey.slice('sk_sauti_'.length));
    expect(text).not.toContain(upstreamKey);
    expect(text).not.toContain('session=1');
    const [line] = lines();
    expect(line).toMatchObject({
      headers: { 'xi-api-key': '[redacted]', 'x-api-key': '[redacted]', authorization: '[redacted]', accept: '*/*' },
      body: { api_key: '[redacted]', text: 'habari' },
      provider: { id: 'openai', apiKey: '[redacted]' },
      err: { config: { headers: { Authorization: '[redacted]', 'xi-api-key': '[redacted]' } } },
      apiKey: '[redacted]',
    });
  });
});
