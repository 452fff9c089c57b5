import request from 'supertest';
import { startTestApi, TestApi } from '../support/test-api';

describe('HTTP errors outside any face', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => api.close());

  it('answers an unknown route with a JSON 404 and a request id', async () => {
    const response = await request(api.baseUrl).get('/no/such/route');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body.error).toMatchObject({ code: 'not_found', request_id: response.headers['x-request-id'] });
  });

  it('echoes a plain client request id and replaces an unsafe one', async () => {
    const echoed = await request(api.baseUrl).get('/health/live').set('x-request-id', 'client-id.42');
    expect(echoed.headers['x-request-id']).toBe('client-id.42');
    const replaced = await request(api.baseUrl).get('/health/live').set('x-request-id', 'bad id <script>');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers malformed JSON with 400', async () => {
    const response = await request(api.baseUrl).post('/anything').set('content-type', 'application/json').send('{"text": ');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('malformed_request');
  });

  it('answers a body over the configured limit with 413', async () => {
    const response = await request(api.baseUrl)
      .post('/anything')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ text: 'a'.repeat(5000) }));
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('answers a non-JSON body with 415', async () => {
    const response = await request(api.baseUrl).post('/anything').set('content-type', 'text/plain').send('hello');
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });
});
