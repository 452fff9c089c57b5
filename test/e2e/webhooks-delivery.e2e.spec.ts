import request from 'supertest';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { redisOptions } from '../../src/redis/redis-options';
import { WebhookEndpointsRepository } from '../../src/webhooks/webhook-endpoints.repository';
import { WEBHOOK_QUEUE } from '../../src/webhooks/webhook-queue';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { textOf } from './sauti-e2e.helpers';

/** Loopback is allow-listed here only, as a development set-up would; schedules are shortened so the tests take seconds. */
const WEBHOOK_ENV = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  WEBHOOK_RETRY_SCHEDULE: '300ms,600ms,1200ms,2400ms',
  WEBHOOK_SECRET_GRACE_SECONDS: '2',
  WORKER_REPORT_INTERVAL_MS: '300',
};

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('completion webhooks (api in-process, worker as a child process, a receiver on loopback)', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let env: Record<string, string>;
  let receiver: WebhookReceiver;
  let worker: ServiceProcess | undefined;

  beforeAll(async () => {
    ({ upstream, env } = await startJobFixture());
    env = { ...env, ...WEBHOOK_ENV };
    api = await startTestApi(env);
  });
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    worker = undefined;
    await receiver.stop();
    upstream.reset();
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const http = () => request(api.baseUrl);
  const startWorker = async (overrides: Record<string, string> = {}) => {
    worker = spawnService('worker', { ...env, ...overrides });
    await worker.waitForOutput(/worker started/);
  };
  /** A tenant with one endpoint pointing at this test's receiver, which verifies with its secret. */
  const tenantWithWebhook = async (events?: string[]) => {
    const { apiKey, tenantId } = await api.createTenant(100_000);
    const created = await http().post('/v1/webhooks').set('xi-api-key', apiKey).send({ url: receiver.url, events });
    expect(created.status).toBe(201);
    receiver.secrets = [created.body.secret];
    return { apiKey, tenantId, webhookId: created.body.id as string, secret: created.body.secret as string };
  };
  const sautiJob = async (apiKey: string, text = 'Habari za asubuhi.') => {
    const created = await http().post('/v1/tts/jobs').set('xi-api-key', apiKey).send({ text, voice_id: FAKE_VOICE });
    expect(created.status).toBe(202);
    return created.body.job_id as string;
  };
  const deliveryLog = async (apiKey: string, webhookId: string) => {
    const log = await http().get(`/v1/webhooks/${webhookId}/deliveries`).set('xi-api-key', apiKey);
    expect(log.status).toBe(200);
    return log.body.deliveries as Array<Record<string, unknown>>;
  };
  const webhook = async (apiKey: string, webhookId: string) =>
    (await http().get(`/v1/webhooks/${webhookId}`).set('xi-api-key', apiKey)).body;
  /** The worker's BASE_URL is the configured public one; the test api listens elsewhere. */
  const onTestApi = (url: string) => url.replace(api.config.http.publicBaseUrl, api.baseUrl);

  it('delivers one signed job.succeeded per job on every face (Sauti jobs and long sync texts, Fish, Bifrost)', async () => {
    const { apiKey, webhookId } = await tenantWithWebhook();
    await startWorker();
    const sauti = await sautiJob(apiKey);
    const long = await http()
      .post(`/v1/text-to-speech/${FAKE_VOICE}`)
      .set('xi-api-key', apiKey)
      .send({ text: textOf(2001) });
    expect(long.status).toBe(202);
    const fish = await http()
      .post('/api/open/v1/speech/tts/jobs')
      .set('authorization', `Bearer ${apiKey}`)
      .send({ text: 'Habari ya Fish.', voiceId: FAKE_VOICE, format: 'wav' });
    const bifrost = await http()
      .post('/v1/async/audio/speech')
      .set('authorization', `Bearer ${apiKey}`)
      .send({ model: 'fake/fake-model', voice: 'nova', input: 'Habari ya Bifrost.', response_format: 'wav' });
    const jobs = { sauti, long: long.body.job_id as string, fish: fish.body.id as string, bifrost: bifrost.body.id as string };

    await receiver.waitFor((received) => received.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a duplicate to show up
    for (const [name, jobId] of Object.entries(jobs)) {
      const deliveries = receiver.forJob(jobId);
      expect({ name, count: deliveries.length }).toEqual({ name, count: 1 });
      expect(deliveries[0].verifiedWith).toEqual([0]);
      expect(deliveries[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(deliveries[0].payload).toMatchObject({
        type: 'job.succeeded',
        data: { job_id: jobId, status: 'succeeded', provider: 'fake' },
      });
    }
    const sautiData = receiver.forJob(sauti)[0].payload.data;
    expect(sautiData).toMatchObject({
      face: 'sauti',
      face_status: 'succeeded',
      characters: 18,
      credits_charged: 18,
      format: 'wav',
      audio: { requires_api_key: true },
    });
    expect(new Date(String(sautiData.completed_at)).getTime()).toBeLessThanOrEqual(receiver.forJob(sauti)[0].receivedAt);
    const sautiAudio = await http()
      .get(new URL(onTestApi((sautiData.audio as { url: string }).url)).pathname)
      .set('xi-api-key', apiKey);
    expect(sautiAudio.status).toBe(200);
    expect(receiver.forJob(jobs.long)[0].payload.data).toMatchObject({ face: 'sauti', characters: 2001, credits_charged: 2001 });

    // Fish: the signed audioUrl, fetched without an API key.
    const fishData = receiver.forJob(jobs.fish)[0].payload.data;
    expect(fishData).toMatchObject({ face: 'fish', audio: { requires_api_key: false, url_expires_at: expect.any(String) } });
    const fishAudio = await fetch(onTestApi((fishData.audio as { url: string }).url));
    expect(fishAudio.status).toBe(200);
    expect(fishAudio.headers.get('content-type')).toMatch(/audio\/wav/);

    const bifrostData = receiver.forJob(jobs.bifrost)[0].payload.data;
    expect(bifrostData).toMatchObject({ face: 'bifrost', face_status: 'completed' });
    expect(bifrostData.status_url).toBe(`${api.config.http.publicBaseUrl}/v1/async/audio/speech/${jobs.bifrost}`);

    const log = await deliveryLog(apiKey, webhookId);
    expect(log).toHaveLength(4);
    for (const entry of log) expect(entry).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 204, last_error: null });
    expect(log.map((entry) => entry.id).sort()).toEqual(receiver.received.map((entry) => entry.id).sort());

    // Metrics: the worker's outcomes (through its reports) and the queue depth, on the api's /metrics.
    await until(async () => {
      const metrics = (await http().get('/metrics')).text;
      return /tts_webhook_deliveries_total\{outcome="delivered",worker="[^"]+"\} [4-9]/.test(metrics) ? metrics : undefined;
    });
    const metrics = (await http().get('/metrics')).text;
    expect(metrics).toMatch(/tts_webhook_queue_jobs\{state="delayed"\} \d+/);
    expect(metrics).toMatch(/tts_webhook_deliveries_pending \d+/);
    expect(metrics).toMatch(/tts_webhook_delivery_lag_seconds_count\{worker="[^"]+"\} [4-9]/);
  });

  it('delivers job.failed and job.expired, each only to endpoints subscribed to it', async () => {
    const { apiKey } = await tenantWithWebhook(['job.failed', 'job.expired']);
    await startWorker();
    const shortLived = async (input: string) => {
      const created = await http()
        .post('/v1/async/audio/speech')
        .set('authorization', `Bearer ${apiKey}`)
        .set('x-bf-async-job-result-ttl', '1')
        .send({ model: 'fake/fake-model', voice: 'nova', input, response_format: 'wav' });
      expect(created.status).toBe(202);
      return created.body.id as string;
    };
    upstream.enqueue({ status: 400, body: { error: { message: 'the text is not acceptable' } } });
    const failed = await shortLived('Haitafanikiwa.');
    await receiver.waitFor(() => receiver.forJob(failed).length >= 1);
    expect(receiver.forJob(failed)[0].payload).toMatchObject({
      type: 'job.failed',
      data: {
        face: 'bifrost',
        status: 'failed',
        face_status: 'failed',
        credits_charged: 0,
        error: { code: 'provider_rejected', message: expect.stringMatching(/rejected/) },
      },
    });
    expect(receiver.forJob(failed)[0].payload.data).not.toHaveProperty('audio');

    const succeeded = await shortLived('Muda mfupi.');
    await receiver.waitFor(() => receiver.forJob(succeeded).length === 1 && receiver.forJob(failed).length === 2);
    // Not subscribed to job.succeeded: only the expiry of the succeeded job arrives.
    expect(receiver.forJob(succeeded)[0].payload).toMatchObject({
      type: 'job.expired',
      data: { job_id: succeeded, status: 'expired', face_status: 'expired', credits_charged: 11, provider: 'fake' },
    });
    expect(receiver.forJob(succeeded)[0].payload.data).not.toHaveProperty('audio');
    expect(receiver.forJob(failed)[1].payload).toMatchObject({
      type: 'job.expired',
      data: { status: 'expired', credits_charged: 0, error: { code: 'provider_rejected' } },
    });
  });

  it('receiver failing, then down, then up: delivered later with the same webhook-id; the log shows each attempt', async () => {
    const { apiKey, webhookId } = await tenantWithWebhook();
    await startWorker();
    receiver.answer({ status: 503, body: 'busy' });
    const jobId = await sautiJob(apiKey);
    await receiver.waitFor(() => receiver.forJob(jobId).length === 1);
    await receiver.stop();
    const [failing] = await until(async () => {
      const log = await deliveryLog(apiKey, webhookId);
      return /ECONNREFUSED/.test(String(log[0]?.last_error)) ? log : undefined;
    });
    expect(failing).toMatchObject({ status: 'pending', last_status_code: null, last_error: expect.stringMatching(/ECONNREFUSED/) });
    expect(new Date(String(failing.next_attempt_at)).getTime()).toBeGreaterThan(new Date(String(failing.last_attempt_at)).getTime());
    expect((await webhook(apiKey, webhookId)).failing_since).toEqual(expect.any(String));

    await receiver.listen();
    await receiver.waitFor(() => receiver.forJob(jobId).length === 2);
    const [first, second] = receiver.forJob(jobId);
    expect([first.status, second.status]).toEqual([503, 204]);
    expect(second.id).toBe(first.id);
    expect(second.body).toBe(first.body);
    expect(second.verifiedWith).toEqual([0]);
    const [delivered] = await until(async () => {
      const log = await deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    expect(delivered).toMatchObject({ id: first.id, last_status_code: 204, last_error: null });
    expect(Number(delivered.attempts)).toBeGreaterThanOrEqual(3);
    expect((await webhook(apiKey, webhookId)).failing_since).toBeNull();
  });

  it('410 Gone disables the endpoint at once; a retry is refused until it is enabled, then sends the same webhook-id', async () => {
    const { apiKey, webhookId } = await tenantWithWebhook();
    await startWorker();
    receiver.answer({ status: 410 });
    const first = await sautiJob(apiKey);
    await receiver.waitFor(() => receiver.forJob(first).length === 1);
    const disabled = await until(async () => {
      const endpoint = await webhook(apiKey, webhookId);
      return endpoint.enabled === false ? endpoint : undefined;
    });
    expect(disabled.disabled_reason).toMatch(/answered 410 Gone/);
    const [gone] = await deliveryLog(apiKey, webhookId);
    expect(gone).toMatchObject({ status: 'failed', last_status_code: 410, last_error: expect.stringMatching(/disabled/) });

    const second = await sautiJob(apiKey);
    await until(async () =>
      (await http().get(`/v1/tts/jobs/${second}`).set('xi-api-key', apiKey)).body.status === 'succeeded' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.forJob(second)).toHaveLength(0);
    expect(await deliveryLog(apiKey, webhookId)).toHaveLength(1);

    const retryPath = `/v1/webhooks/${webhookId}/deliveries/${gone.id}/retry`;
    const refused = await http().post(retryPath).set('xi-api-key', apiKey);
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/disabled.*enable it/);
    await http().patch(`/v1/webhooks/${webhookId}`).set('xi-api-key', apiKey).send({ enabled: true }).expect(200);
    const retried = await http().post(retryPath).set('xi-api-key', apiKey);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ id: gone.id, status: 'pending' });
    await receiver.waitFor(() => receiver.forJob(first).length === 2);
    expect(receiver.forJob(first)[1]).toMatchObject({ id: receiver.forJob(first)[0].id, status: 204, verifiedWith: [0] });
  });

  it('an endpoint failing for longer than WEBHOOK_DISABLE_AFTER_SECONDS is disabled, and says why', async () => {
    const { apiKey, webhookId } = await tenantWithWebhook();
    await startWorker({ WEBHOOK_DISABLE_AFTER_SECONDS: '1' });
    receiver.defaultStatus = 500;
    const jobId = await sautiJob(apiKey);
    const disabled = await until(async () => {
      const endpoint = await webhook(apiKey, webhookId);
      return endpoint.enabled === false ? endpoint : undefined;
    });
    expect(disabled.disabled_reason).toMatch(/every delivery failed for 1 s; last: answered 500 \(failing since \d{4}-/);
    expect(receiver.forJob(jobId).length).toBeGreaterThanOrEqual(2);
    const [entry] = await deliveryLog(apiKey, webhookId);
    expect(entry).toMatchObject({ status: 'failed', last_status_code: 500, last_error: expect.stringMatching(/disabled after failing/) });
  });

  it('gives up when the schedule runs out; a manual retry starts it over with the same webhook-id', async () => {
    const { apiKey, webhookId } = await tenantWithWebhook();
    await startWorker({ WEBHOOK_RETRY_SCHEDULE: '100ms,200ms' });
    receiver.defaultStatus = 500;
    const jobId = await sautiJob(apiKey);
    const [gaveUp] = await until(async () => {
      const log = await deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'failed' ? log : undefined;
    });
    expect(gaveUp).toMatchObject({ attempts: 3, last_status_code: 500, next_attempt_at: null });
    expect(gaveUp.last_error).toMatch(/^answered 500; gave up after 3 attempts$/);
    expect(receiver.forJob(jobId)).toHaveLength(3);
    expect((await webhook(apiKey, webhookId)).enabled).toBe(true);

    receiver.defaultStatus = 204;
    const retried = await http().post(`/v1/webhooks/${webhookId}/deliveries/${gaveUp.id}/retry`).set('xi-api-key', apiKey);
    expect(retried.status).toBe(202);
    await receiver.waitFor(() => receiver.forJob(jobId).length === 4);
    expect(new Set(receiver.forJob(jobId).map((delivery) => delivery.id))).toEqual(new Set([gaveUp.id]));
    const [delivered] = await until(async () => {
      const log = await deliveryLog(apiKey, webhookId);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    expect(delivered).toMatchObject({ attempts: 4, last_status_code: 204 });
  });

  it('a worker killed between the job’s completion and the delivery, with the queue lost too: a new worker still delivers it', async () => {
    const { apiKey } = await tenantWithWebhook();
    await startWorker();
    receiver.answer({ hang: true });
    const jobId = await sautiJob(apiKey);
    await receiver.waitFor(() => receiver.forJob(jobId).length === 1);
    await worker!.stop('SIGKILL');
    // Redis restarted empty: the delivery's queue entry (and its lock) are gone; only the outbox row remains.
    const redis = new Redis(api.config.redis.url);
    try {
      const keys = await redis.keys(`${env.QUEUE_PREFIX}:${WEBHOOK_QUEUE}:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    const queue = new Queue(WEBHOOK_QUEUE, { connection: redisOptions(api.config.redis.url, 'producer'), prefix: env.QUEUE_PREFIX });
    try {
      expect(await queue.getJobCounts('waiting', 'active', 'delayed')).toMatchObject({ waiting: 0, active: 0, delayed: 0 });
    } finally {
      await queue.close();
    }
    await startWorker();
    await receiver.waitFor(() => receiver.forJob(jobId).length === 2);
    const [lost, delivered] = receiver.forJob(jobId);
    expect(delivered).toMatchObject({ id: lost.id, status: 204, verifiedWith: [0] });
    expect(worker!.output()).toMatch(/relayed webhook deliveries missing from the queue/);
  });

  it('secret rotation: both signatures during the grace period, then only the new one', async () => {
    const { apiKey, webhookId, secret: old } = await tenantWithWebhook();
    await startWorker();
    const rotated = await http().post(`/v1/webhooks/${webhookId}/rotate-secret`).set('xi-api-key', apiKey);
    receiver.secrets = [old, rotated.body.secret];
    const during = await sautiJob(apiKey);
    await receiver.waitFor(() => receiver.forJob(during).length === 1);
    expect(receiver.forJob(during)[0].verifiedWith).toEqual([0, 1]);
    expect(receiver.forJob(during)[0].signature.split(' ')).toHaveLength(2);

    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, new Date(rotated.body.previous_secret_expires_at).getTime() - Date.now() + 100)),
    );
    const after = await sautiJob(apiKey);
    await receiver.waitFor(() => receiver.forJob(after).length === 1);
    expect(receiver.forJob(after)[0].verifiedWith).toEqual([1]);
    expect(receiver.forJob(after)[0].signature.split(' ')).toHaveLength(1);
  });

  describe('SSRF rules at delivery time', () => {
    it('a redirect (here to another loopback server) is not followed', async () => {
      const { apiKey, webhookId } = await tenantWithWebhook();
      const target = await WebhookReceiver.start();
      try {
        await startWorker();
        receiver.answer({ redirectTo: 'http://169.254.169.254/latest/meta-data/' }, { redirectTo: `${target.url}/internal` });
        const jobId = await sautiJob(apiKey);
        const [redirected] = await until(async () => {
          const log = await deliveryLog(apiKey, webhookId);
          return log[0]?.last_status_code === 302 ? log : undefined;
        });
        expect(redirected).toMatchObject({
          status: 'pending',
          last_error: expect.stringMatching(/^answered 302; redirects are not followed \(Location: http/),
        });
        await receiver.waitFor(() => receiver.forJob(jobId).length === 3);
        const [entry] = await until(async () => {
          const log = await deliveryLog(apiKey, webhookId);
          return log[0]?.status === 'delivered' ? log : undefined;
        });
        expect(entry).toMatchObject({ attempts: 3, last_status_code: 204 });
        expect(receiver.forJob(jobId).map((delivery) => delivery.status)).toEqual([302, 302, 204]);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(target.received).toHaveLength(0);
      } finally {
        await target.stop();
      }
    });

    it('an endpoint that now resolves to the metadata address is refused, nothing is sent, and the log says why', async () => {
      const { apiKey, webhookId } = await tenantWithWebhook();
      // As if its DNS had changed after registration (which would have refused this address).
      await api.app.get(WebhookEndpointsRepository).update(undefined, webhookId, { url: 'http://169.254.169.254/latest/meta-data/' });
      await startWorker();
      await sautiJob(apiKey);
      const [entry] = await until(async () => {
        const log = await deliveryLog(apiKey, webhookId);
        return log[0]?.last_error ? log : undefined;
      });
      expect(entry).toMatchObject({ status: 'pending', last_status_code: null });
      expect(entry.last_error).toMatch(/^refused: 169\.254\.169\.254 is a loopback, private, link-local or metadata address/);
    });

    it('loopback is refused by a worker whose configuration does not allow-list it', async () => {
      const { apiKey, webhookId } = await tenantWithWebhook();
      await startWorker({ WEBHOOK_ALLOWED_NETWORKS: '' });
      const jobId = await sautiJob(apiKey);
      const [entry] = await until(async () => {
        const log = await deliveryLog(apiKey, webhookId);
        return log[0]?.last_error ? log : undefined;
      });
      expect(entry.last_error).toMatch(/^refused: 127\.0\.0\.1 is a loopback/);
      expect(receiver.forJob(jobId)).toHaveLength(0);
    });
  });
});
