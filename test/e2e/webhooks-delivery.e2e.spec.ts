import { FAKE_VOICE } from '../support/job-fixture';
import { until, useWebhookFixture } from '../support/webhook-fixture';
import { textOf } from './sauti-e2e.helpers';

describe('completion webhooks: what is delivered (api in-process, worker as a child process, a receiver on loopback)', () => {
  const f = useWebhookFixture();
  /** The worker's links use the configured public base URL; the test api listens elsewhere. */
  const onTestApi = (url: string) => url.replace(f.api.config.http.publicBaseUrl, f.api.baseUrl);

  it('delivers one signed job.succeeded per job on every face (Sauti jobs and long sync texts, Fish, Bifrost)', async () => {
    const { apiKey, webhookId } = await f.tenantWithWebhook();
    await f.startWorker();
    const sauti = await f.sautiJob(apiKey);
    const long = await f
      .http()
      .post(`/v1/text-to-speech/${FAKE_VOICE}`)
      .set('xi-api-key', apiKey)
      .send({ text: textOf(2001) });
    expect(long.status).toBe(202);
    const fish = await f
      .http()
      .post('/api/open/v1/speech/tts/jobs')
      .set('authorization', `Bearer ${apiKey}`)
      .send({ text: 'Habari ya Fish.', voiceId: FAKE_VOICE, format: 'wav' });
    const bifrost = await f
      .http()
      .post('/v1/async/audio/speech')
      .set('authorization', `Bearer ${apiKey}`)
      .send({ model: 'fake/fake-model', voice: 'nova', input: 'Habari ya Bifrost.', response_format: 'wav' });
    const jobs = { sauti, long: long.body.job_id as string, fish: fish.body.id as string, bifrost: bifrost.body.id as string };

    await f.receiver.waitFor((received) => received.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // time for a duplicate to show up
    for (const [name, jobId] of Object.entries(jobs)) {
      const deliveries = f.receiver.forJob(jobId);
      expect({ name, count: deliveries.length }).toEqual({ name, count: 1 });
      expect(deliveries[0].verifiedWith).toEqual([0]);
      expect(deliveries[0].id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(deliveries[0].payload).toMatchObject({
        type: 'job.succeeded',
        data: { job_id: jobId, status: 'succeeded', provider: 'fake' },
      });
    }
    const sautiData = f.receiver.forJob(sauti)[0].payload.data;
    expect(sautiData).toMatchObject({
      face: 'sauti',
      face_status: 'succeeded',
      characters: 18,
      credits_charged: 18,
      format: 'wav',
      audio: { requires_api_key: true },
    });
    expect(new Date(String(sautiData.completed_at)).getTime()).toBeLessThanOrEqual(f.receiver.forJob(sauti)[0].receivedAt);
    const sautiAudio = await f
      .http()
      .get(new URL(onTestApi((sautiData.audio as { url: string }).url)).pathname)
      .set('xi-api-key', apiKey);
    expect(sautiAudio.status).toBe(200);
    expect(f.receiver.forJob(jobs.long)[0].payload.data).toMatchObject({ face: 'sauti', characters: 2001, credits_charged: 2001 });

    // Fish: the signed audioUrl, fetched without an API key.
    const fishData = f.receiver.forJob(jobs.fish)[0].payload.data;
    expect(fishData).toMatchObject({ face: 'fish', audio: { requires_api_key: false, url_expires_at: expect.any(String) } });
    const fishAudio = await fetch(onTestApi((fishData.audio as { url: string }).url));
    expect(fishAudio.status).toBe(200);
    expect(fishAudio.headers.get('content-type')).toMatch(/audio\/wav/);

    const bifrostData = f.receiver.forJob(jobs.bifrost)[0].payload.data;
    expect(bifrostData).toMatchObject({ face: 'bifrost', face_status: 'completed' });
    expect(bifrostData.status_url).toBe(`${f.api.config.http.publicBaseUrl}/v1/async/audio/speech/${jobs.bifrost}`);

    const log = await f.deliveryLog(apiKey, webhookId);
    expect(log).toHaveLength(4);
    for (const entry of log) expect(entry).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 204, last_error: null });
    expect(log.map((entry) => entry.id).sort()).toEqual(f.receiver.received.map((entry) => entry.id).sort());

    // Metrics: the worker's outcomes (through its reports) and the queue depth, on the api's /metrics.
    await until(async () => {
      const metrics = (await f.http().get('/metrics')).text;
      return /tts_webhook_deliveries_total\{outcome="delivered",worker="[^"]+"\} [4-9]/.test(metrics) ? metrics : undefined;
    });
    const metrics = (await f.http().get('/metrics')).text;
    expect(metrics).toMatch(/tts_webhook_queue_jobs\{state="delayed"\} \d+/);
    expect(metrics).toMatch(/tts_webhook_deliveries_pending \d+/);
    expect(metrics).toMatch(/tts_webhook_delivery_lag_seconds_count\{worker="[^"]+"\} [4-9]/);
  });

  it('delivers job.failed and job.expired, each only to endpoints subscribed to it', async () => {
    const { apiKey } = await f.tenantWithWebhook(['job.failed', 'job.expired']);
    await f.startWorker();
    const shortLived = async (input: string) => {
      const created = await f
        .http()
        .post('/v1/async/audio/speech')
        .set('authorization', `Bearer ${apiKey}`)
        .set('x-bf-async-job-result-ttl', '1')
        .send({ model: 'fake/fake-model', voice: 'nova', input, response_format: 'wav' });
      expect(created.status).toBe(202);
      return created.body.id as string;
    };
    f.upstream.enqueue({ status: 400, body: { error: { message: 'the text is not acceptable' } } });
    const failed = await shortLived('Haitafanikiwa.');
    await f.receiver.waitFor(() => f.receiver.forJob(failed).length >= 1);
    expect(f.receiver.forJob(failed)[0].payload).toMatchObject({
      type: 'job.failed',
      data: {
        face: 'bifrost',
        status: 'failed',
        face_status: 'failed',
        credits_charged: 0,
        error: { code: 'provider_rejected', message: expect.stringMatching(/rejected/) },
      },
    });
    expect(f.receiver.forJob(failed)[0].payload.data).not.toHaveProperty('audio');

    const succeeded = await shortLived('Muda mfupi.');
    await f.receiver.waitFor(() => f.receiver.forJob(succeeded).length === 1 && f.receiver.forJob(failed).length === 2);
    // Not subscribed to job.succeeded: only the expiry of the succeeded job arrives.
    expect(f.receiver.forJob(succeeded)[0].payload).toMatchObject({
      type: 'job.expired',
      data: { job_id: succeeded, status: 'expired', face_status: 'expired', credits_charged: 11, provider: 'fake' },
    });
    expect(f.receiver.forJob(succeeded)[0].payload.data).not.toHaveProperty('audio');
    expect(f.receiver.forJob(failed)[1].payload).toMatchObject({
      type: 'job.expired',
      data: { status: 'expired', credits_charged: 0, error: { code: 'provider_rejected' } },
    });
  });

  it('secret rotation: both signatures during the grace period, then only the new one', async () => {
    const { apiKey, webhookId, secret: old } = await f.tenantWithWebhook();
    await f.startWorker();
    const rotated = await f.http().post(`/v1/webhooks/${webhookId}/rotate-secret`).set('xi-api-key', apiKey);
    f.receiver.secrets = [old, rotated.body.secret];
    const during = await f.sautiJob(apiKey);
    await f.receiver.waitFor(() => f.receiver.forJob(during).length === 1);
    expect(f.receiver.forJob(during)[0].verifiedWith).toEqual([0, 1]);
    expect(f.receiver.forJob(during)[0].signature.split(' ')).toHaveLength(2);

    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, new Date(rotated.body.previous_secret_expires_at).getTime() - Date.now() + 100)),
    );
    const after = await f.sautiJob(apiKey);
    await f.receiver.waitFor(() => f.receiver.forJob(after).length === 1);
    expect(f.receiver.forJob(after)[0].verifiedWith).toEqual([1]);
    expect(f.receiver.forJob(after)[0].signature.split(' ')).toHaveLength(1);
  });
});
