import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { redisOptions } from '../../src/redis/redis-options';
import { WebhookEndpointsRepository } from '../../src/webhooks/webhook-endpoints.repository';
import { WEBHOOK_QUEUE } from '../../src/webhooks/webhook-queue';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { until, useWebhookFixture } from '../support/webhook-fixture';

describe('completion webhooks: failures, retries, crashes and SSRF (api in-process, worker as a child process, a receiver on loopback)', () => {
  const f = useWebhookFixture();

  it('receiver failing, then down, then up: delivered later with the same webhook-id; the log shows each attempt', async () => {
    const { apiKey, webhookId } = await f.tenantWithWebhook();
    await f.startWorker();
    f.receiver.answer({ status: 503, body: 'busy' });
    const jobId = await f.sautiJob(apiKey);
    await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 1);
    await f.receiver.stop();
    const [failing] = await until(async () => {
      const log = await f.deliveryLog(apiKey, webhookId);
      return /ECONNREFUSED/.test(String(log[0]?.last_error)) ? log : undefined;
    });
    expect(failing).toMatchObject({ status: 'pending', last_status_code: null, last_error: expect.stringMatching(/ECONNREFUSED/) });
    expect(new Date(String(failing.next_attempt_at)).getTime()).toBeGreaterThan(new Date(String(failing.last_attempt_at)).getTime());
    expect((await f.webhook(apiKey, webhookId)).failing_since).toEqual(expect.any(String));

    await f.receiver.listen();
    await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 2);
    const [first, second] = f.receiver.forJob(jobId);
    expect([first.status, second.status]).toEqual([503, 204]);
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    expect(second.verifiedWith).toEqual([0]);
    const [delivered] = await until(async () => {
      const log = await f.deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    expect(delivered).toMatchObject({ id: first.id, last_status_code: 204, last_error: null });
    expect(Number(delivered.attempts)).toBeGreaterThanOrEqual(3);
    expect((await f.webhook(apiKey, webhookId)).failing_since).toBeNull();
  });

  it('410 Gone disables the endpoint at once; a retry is refused until it is enabled, then sends the same webhook-id', async () => {
    const { apiKey, webhookId } = await f.tenantWithWebhook();
    await f.startWorker();
    f.receiver.answer({ status: 410 });
    const first = await f.sautiJob(apiKey);
    await f.receiver.waitFor(() => f.receiver.forJob(first).length === 1);
    const disabled = await until(async () => {
      const endpoint = await f.webhook(apiKey, webhookId);
      return endpoint.enabled === false ? endpoint : undefined;
    });
    expect(disabled.disabled_reason).toMatch(/answered 410 Gone/);
    const [gone] = await f.deliveryLog(apiKey, webhookId);
    expect(gone).toMatchObject({ status: 'failed', last_status_code: 410, last_error: expect.stringMatching(/disabled/) });

    const second = await f.sautiJob(apiKey);
    await until(async () =>
      (await f.http().get(`/v1/tts/jobs/${second}`).set('xi-api-key', apiKey)).body.status === 'succeeded' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(f.receiver.forJob(second)).toHaveLength(0);
    expect(await f.deliveryLog(apiKey, webhookId)).toHaveLength(1);

    const retryPath = `/v1/webhooks/${webhookId}/deliveries/${gone.id}/retry`;
    const refused = await f.http().post(retryPath).set('xi-api-key', apiKey);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/disabled.*enable it/);
    await f.http().patch(`/v1/webhooks/${webhookId}`).set('xi-api-key', apiKey).send({ enabled: true }).expect(200);
    const retried = await f.http().post(retryPath).set('xi-api-key', apiKey);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: gone.id, status: 'pending' });
    await f.receiver.waitFor(() => f.receiver.forJob(first).length === 2);
    expect(f.receiver.forJob(first)[1]).toMatchObject({ id: f.receiver.forJob(first)[0].id, status: 204, verifiedWith: [0] });
  });

  it('an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_SECONDS is disabled, and says why', async () => {
    const { apiKey, webhookId } = await f.tenantWithWebhook();
    await f.startWorker({ WEBHOOK_DISABLE_AFTER_SECONDS: '1' });
    f.receiver.defaultStatus = 500;
    const jobId = await f.sautiJob(apiKey);
    const disabled = await until(async () => {
      const endpoint = await f.webhook(apiKey, webhookId);
      return endpoint.enabled === false ? endpoint : undefined;
    });
    expect(disabled.disabled_reason).toMatch(/every delivery failed for 1 s; last: answered 500 \(failing since \d{4}-/);
    expect(f.receiver.forJob(jobId).length).toBeGreaterThanOrEqual(2);
    const [entry] = await f.deliveryLog(apiKey, webhookId);
    expect(entry).toMatchObject({ status: 'failed', last_status_code: 500, last_error: expect.stringMatching(/disabled after failing/) });
  });

  it('gives up when the schedule runs out; a manual retry starts it over with the same webhook-id', async () => {
    const { apiKey, webhookId } = await f.tenantWithWebhook();
    await f.startWorker({ WEBHOOK_RETRY_SCHEDULE: '100ms,200ms' });
    f.receiver.defaultStatus = 500;
    const jobId = await f.sautiJob(apiKey);
    const [gaveUp] = await until(async () => {
      const log = await f.deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'failed' ? log : undefined;
    });
    expect(gaveUp).toMatchObject({ attempts: 3, last_status_code: 500, next_attempt_at: null });
    expect(gaveUp.last_error).toMatch(/^answered 500; gave up after 3 attempts$/);
    expect(f.receiver.forJob(jobId)).toHaveLength(3);
    expect((await f.webhook(apiKey, webhookId)).enabled).toBe(true);

    f.receiver.defaultStatus = 204;
    const retried = await f.http().post(`/v1/webhooks/${webhookId}/deliveries/${gaveUp.id}/retry`).set('xi-api-key', apiKey);
    expect(retried.status).toBe(202);
    await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 4);
    expect(new Set(f.receiver.forJob(jobId).map((delivery) => delivery.id))).toEqual(new Set([gaveUp.id]));
    const [delivered] = await until(async () => {
      const log = await f.deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    expect(delivered).toMatchObject({ attempts: 4, last_status_code: 204 });
  });

  it('a worker killed between the job’s completion and the delivery, with the queue lost too: a new worker still delivers it', async () => {
    const { apiKey } = await f.tenantWithWebhook();
    await f.startWorker();
    f.receiver.answer({ hang: true });
    const jobId = await f.sautiJob(apiKey);
    await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 1);
    await f.worker!.stop('SIGKILL');
    // Redis restarted empty: the delivery's queue entry (and its lock) are gone; only the outbox row remains.
    const redis = new Redis(f.api.config.redis.url);
    try {
      const keys = await redis.keys(`${f.env.QUEUE_PREFIX}:${WEBHOOK_QUEUE}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const queue = new Queue(WEBHOOK_QUEUE, { connection: redisOptions(f.api.config.redis.url, 'producer'), prefix: f.env.QUEUE_PREFIX });
    try {
      expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await queue.close();
    }
    await f.startWorker();
    await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 2);
    const [lost, delivered] = f.receiver.forJob(jobId);
    expect(delivered).toMatchObject({ id: lost.id, status: 204, verifiedWith: [0] });
    expect(f.worker!.output()).toMatch(/relayed webhook deliveries missing from the queue/);
  });

  describe('SSRF rules at delivery time', () => {
    it('a redirect (here to another loopback server) is not followed', async () => {
      const { apiKey, webhookId } = await f.tenantWithWebhook();
      const target = await WebhookReceiver.start();
      try {
        await f.startWorker();
        f.receiver.answer({ redirectTo: 'http://169.254.169.254/latest/meta-data/' }, { redirectTo: `${target.url}/internal` });
        const jobId = await f.sautiJob(apiKey);
        const [redirected] = await until(async () => {
          const log = await f.deliveryLog(apiKey, webhookId);
          return log[0]?.last_status_code === 302 ? log : undefined;
        });
        expect(redirected).toMatchObject({
          status: 'pending',
          last_error: expect.stringMatching(/^answered 302; redirects are not followed \(Location: http/),
        });
        await f.receiver.waitFor(() => f.receiver.forJob(jobId).length === 3);
        const [entry] = await until(async () => {
          const log = await f.deliveryLog(apiKey, webhookId);
          return log[0]?.status === 'delivered' ? log : undefined;
        });
        expect(entry).toMatchObject({ attempts: 3, last_status_code: 204 });
        expect(f.receiver.forJob(jobId).map((delivery) => delivery.status)).toEqual([302, 302, 204]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(target.received).toHaveLength(0);
      } finally {
        await target.stop();
      }
    });

    it('an endpoint that now resolves to the metadata address is refused, nothing is sent, and the log says why', async () => {
      const { apiKey, webhookId } = await f.tenantWithWebhook();
      // As if its DNS had changed after registration (which would have refused this address).
      await f.api.app.get(WebhookEndpointsRepository).update(undefined, webhookId, { url: 'http://169.254.169.254/latest/meta-data/' });
      await f.startWorker();
      await f.sautiJob(apiKey);
      const [entry] = await until(async () => {
        const log = await f.deliveryLog(apiKey, webhookId);
        return log[0]?.last_error ? log : undefined;
      });
      expect(entry).toMatchObject({ status: 'pending', last_status_code: null });
      expect(entry.last_error).toMatch(/^refused: 169\.254\.169\.254 is a loopback, private, link-local or metadata address/);
    });

    it('loopback is refused by a worker whose configuration does not allow-list it', async () => {
      const { apiKey, webhookId } = await f.tenantWithWebhook();
      await f.startWorker({ WEBHOOK_ALLOWED_NETWORKS: '' });
      const jobId = await f.sautiJob(apiKey);
      const [entry] = await until(async () => {
        const log = await f.deliveryLog(apiKey, webhookId);
        return log[0]?.last_error ? log : undefined;
      });
      expect(entry.last_error).toMatch(/^refused: 127\.0\.0\.1 is a loopback/);
      expect(f.receiver.forJob(jobId)).toHaveLength(0);
    });
  });
});
