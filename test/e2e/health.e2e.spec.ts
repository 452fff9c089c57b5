import request from 'supertest';
import { startTestApi, TestApi } from '../support/test-api';

describe('/health', () => {
  describe('with every dependency up', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi();
    });
    afterAll(() => api.close());

    it('live answers 200', async () => {
      const response = await request(api.baseUrl).get('/health/live');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
    });

    it('ready answers 200 listing the database and Redis', async () => {
      const response = await request(api.baseUrl).get('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
      expect(response.body.details.database).toMatchObject({ status: 'up', state: 'up' });
      expect(response.body.details.redis).toMatchObject({ status: 'up', state: 'up' });
    });
  });

  describe('with Redis on a closed port', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1/0' });
    });
    afterAll(() => api.close());

    it('ready answers 503 naming Redis, while the database stays up', async () => {
      const response = await request(api.baseUrl).get('/health/ready');
      expect(response.status).toBe(503);
      expect(response.body.status).toBe('error');
      expect(Object.keys(response.body.error)).toEqual(['redis']);
      expect(response.body.error.redis.status).toBe('down');
      expect(response.body.details.database.status).toBe('up');
    });

    it('live still answers 200', async () => {
      expect((await request(api.baseUrl).get('/health/live')).status).toBe(200);
    });
  });
});
