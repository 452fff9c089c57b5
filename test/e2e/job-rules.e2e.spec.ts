import { getQueueToken } from '@nestjs/bullmq';
import request_ from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { AppConfig } from '../../src/config/app-config';
import { JobMaintenance } from '../../src/jobs/job-maintenance';
import { JobOutcomes } from '../../src/jobs/job-outcomes';
import { JobService } from '../../src/jobs/job.service';
import { SYNTHESIS_QUEUE } from '../../src/jobs/queue-names';
import { SynthesisJobRepository } from '../../src/jobs/synthesis-job.repository';
import { RootLogger } from '../../src/logging/root-logger';
import { RESULT_STORE, ResultStore } from '../../src/storage/result-store';
import { WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { WebhookOutbox } from '../../src/webhooks/webhook-outbox';
import { WEBHOOK_QUEUE } from '../../src/webhooks/webhook-queue';
import { startTestApi, TestApi } from '../support/test-api';
import { testVoiceRequest } from '../fakes/test-voice-request';

describe('job rules (no worker: rows are driven directly)', () => {
  let api: TestApi;
  let jobs: JobService;
  let outcomes: JobOutcomes;
  let maintenance: JobMaintenance;
  let dataSource: DataSource;

  beforeAll(async () => {
    // A huge relay age keeps these tests' queued rows away from any enqueue side effects.
    api = await startTestApi({ JOB_RELAY_MIN_AGE_MS: '3600000' });
    jobs = api.app.get(JobService);
    dataSource = api.app.get(DataSource);
    const results = api.app.get<ResultStore>(RESULT_STORE);
    const repository = api.app.get(SynthesisJobRepository);
    // Constructed by hand, so no after-commit enqueue: deliveries these tests record stay in the outbox.
    const webhookOutbox = new WebhookOutbox(
      dataSource,
      api.app.get(getQueueToken(WEBHOOK_QUEUE)),
      new WebhookDeliveriesRepository(dataSource),
      api.app.get(RootLogger),
    );
    outcomes = new JobOutcomes(dataSource, repository, results, api.app.get(CreditsService), webhookOutbox, api.app.get(AppConfig));
    maintenance = new JobMaintenance(
      dataSource,
      repository,
      api.app.get(getQueueToken(SYNTHESIS_QUEUE)),
      results,
      outcomes,
      api.app.get(AppConfig),
      api.app.get(RootLogger),
      webhookOutbox,
    );
  });
  afterAll(() => api.close());

  async function finish(jobId: string): Promise<void> {
    const job = await outcomes.start(jobId);
    const audio = {
      bytes: Buffer.from('RIFF-test-bytes'),
      format: 'wav' as const,
      contentType: 'audio/wav',
      sampleRate: 16000,
      durationSeconds: 1,
    };
    await outcomes.succeed(job!, {
      ...audio,
      provider: 'vits',
      model: 'sauti-test-v1',
      characters: job!.characters,
      attempts: [],
      cache: 'miss',
    });
  }

  it('50 parallel creates with one Idempotency-Key → one job and one reservation', async () => {
    const { tenantId } = await api.createTenant(10_000);
    const body = testVoiceRequest('Ombi moja tu.');
    const created = await Promise.all(
      Array.from({ length: 50 }, () => jobs.create(tenantId, body, { face: 'sauti', idempotencyKey: 'key-50' })),
    );
    expect(new Set(created.map((c) => c.job.id)).size).toBe(1);
    expect(created.filter((c) => c.created)).toHaveLength(1);
    const reserves = await dataSource.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE tenant_id = $1 AND kind = 'reserve'`, [
      tenantId,
    ]);
    expect(reserves[0].n).toBe(1);
    expect((await api.app.get(CreditsService).summary(tenantId)).balance).toBe(10_000 - body.characters);
  });

  it('the same key with a different body → idempotency_key_reused', async () => {
    const { tenantId } = await api.createTenant(10_000);
    await jobs.create(tenantId, testVoiceRequest('Maandishi ya kwanza.'), { face: 'sauti', idempotencyKey: 'key-diff' });
    await expect(
      jobs.create(tenantId, testVoiceRequest('Maandishi mengine.'), { face: 'sauti', idempotencyKey: 'key-diff' }),
    ).rejects.toMatchObject({
      code: 'idempotency_key_reused',
    });
    const other = await api.createTenant(10_000);
    const { created } = await jobs.create(other.tenantId, testVoiceRequest('Maandishi mengine.'), {
      face: 'sauti',
      idempotencyKey: 'key-diff',
    });
    expect(created).toBe(true); // keys are per tenant
  });

  it('insufficient credits creates no job', async () => {
    const { tenantId } = await api.createTenant(3);
    await expect(jobs.create(tenantId, testVoiceRequest('Hii ni ndefu kuliko salio.'), { face: 'sauti' })).rejects.toMatchObject({
      code: 'insufficient_credits',
    });
    const rows = await dataSource.query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE tenant_id = $1`, [tenantId]);
    expect(rows[0].n).toBe(0);
  });

  it("another tenant's job id answers exactly like an unknown id", async () => {
    const owner = await api.createTenant(1000);
    const stranger = await api.createTenant(1000);
    const { job } = await jobs.create(owner.tenantId, testVoiceRequest('Siri yangu.'), { face: 'sauti' });
    const foreign = await jobs.get(stranger.tenantId, job.id).catch((error) => error);
    const unknown = await jobs.get(stranger.tenantId, 'job_doesnotexist000000000000').catch((error) => error);
    expect(foreign.code).toBe('job_not_found');
    expect(unknown.code).toBe('job_not_found');
    expect(foreign.message.replace(job.id, 'ID')).toBe(unknown.message.replace('job_doesnotexist000000000000', 'ID'));
  });

  it('caps queued + running jobs per tenant with too_many_jobs and a Retry-After', async () => {
    const { tenantId } = await api.createTenant(100_000);
    await dataSource.query(`UPDATE tenants SET max_active_jobs = 3 WHERE id = $1`, [tenantId]);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => jobs.create(tenantId, testVoiceRequest(`Kazi ${i}.`), { face: 'sauti' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(3);
    for (const r of rejected) expect(r.reason).toMatchObject({ code: 'too_many_jobs', retryAfterSeconds: expect.any(Number) });
  });

  it('a custom TTL sets expires_at; after expiry the job is 404 and its bytes are gone; two sweepers delete once', async () => {
    const { tenantId } = await api.createTenant(1000);
    const created = await Promise.all(
      [1, 2, 3].map((i) => jobs.create(tenantId, testVoiceRequest(`Muda mfupi ${i}.`), { face: 'bifrost', resultTtlSeconds: 1 })),
    );
    for (const { job } of created) await finish(job.id);
    const done = await jobs.get(tenantId, created[0].job.id);
    expect(done.expiresAt!.getTime() - done.completedAt!.getTime()).toBe(1000);
    expect((await jobs.getAudio(tenantId, done.id)).result.audio.toString()).toBe('RIFF-test-bytes');

    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Other test files' finished jobs may expire in the same sweep (failed ones have no audio): count rows, not jobs.
    const countResults = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM job_results`))[0].n as number;
    const resultsBefore = await countResults();
    const [first, second] = await Promise.all([maintenance.sweep(), maintenance.sweep()]);
    expect(first.expired + second.expired).toBeGreaterThanOrEqual(3);
    expect(first.resultsDeleted + second.resultsDeleted).toBe(resultsBefore - (await countResults()));
    for (const { job } of created) {
      await expect(jobs.get(tenantId, job.id)).rejects.toMatchObject({ code: 'job_not_found' });
      await expect(jobs.getAudio(tenantId, job.id)).rejects.toMatchObject({ code: 'job_not_found' });
    }
    const bytes = await dataSource.query(`SELECT count(*)::int AS n FROM job_results WHERE job_id = ANY($1)`, [
      created.map((c) => c.job.id),
    ]);
    expect(bytes[0].n).toBe(0);
  });

  it('fails jobs stuck running past the bound and releases their credits', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Imekwama.'), { face: 'sauti' });
    await outcomes.start(job.id);
    await dataSource.query(`UPDATE synthesis_jobs SET started_at = now() - interval '2 hours' WHERE id = $1`, [job.id]);
    const report = await maintenance.sweep();
    expect(report.stalled).toBeGreaterThanOrEqual(1);
    expect(await jobs.get(tenantId, job.id)).toMatchObject({ status: 'failed', errorCode: 'job_stalled' });
    expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 1000, reserved: 0 });
  });

  it('reports jobs in /metrics and the queue and workers in /health/ready', async () => {
    const { tenantId } = await api.createTenant(1000);
    await jobs.create(tenantId, testVoiceRequest('Kipimo.'), { face: 'sauti' });
    const metrics = await request_(api.baseUrl).get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^tts_jobs\{status="queued"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(/^tts_job_oldest_queued_age_seconds \d/m);
    expect(metrics.text).toMatch(/^tts_queue_jobs\{state="waiting"\} \d+$/m);
    expect(metrics.text).toMatch(/^tts_job_seconds\{phase="wait",quantile="0.95"\} /m);
    const ready = await request_(api.baseUrl).get('/health/ready');
    expect(ready.body.details.queue).toMatchObject({ status: 'up', state: 'up', name: 'synthesis' });
    // No worker process runs in this file: reported degraded, never a 503.
    expect(ready.status).toBe(200);
    expect(ready.body.details.workers).toMatchObject({ state: 'degraded', count: 0 });
  });

  it('releases idempotency keys after their lifetime', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Ufunguo wa zamani.'), { face: 'sauti', idempotencyKey: 'old-key' });
    await dataSource.query(`UPDATE synthesis_jobs SET created_at = now() - interval '25 hours' WHERE id = $1`, [job.id]);
    await maintenance.sweep();
    const again = await jobs.create(tenantId, testVoiceRequest('Ombi jipya.'), { face: 'sauti', idempotencyKey: 'old-key' });
    expect(again.created).toBe(true);
    expect(again.job.id).not.toBe(job.id);
  });
});

describe('job creation while Redis is down', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ REDIS_URL: 'redis://127.0.0.1:1/0' });
  });
  afterAll(() => api.close());

  it('keeps the job: the row is committed, queued, with its credits reserved, for the relay to enqueue', async () => {
    const { tenantId } = await api.createTenant(1000);
    const started = Date.now();
    const { job, created } = await api.app.get(JobService).create(tenantId, testVoiceRequest('Redis haipo.'), { face: 'sauti' });
    expect(created).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(job.status).toBe('queued');
    const rows = await api.app.get(DataSource).query(`SELECT status FROM synthesis_jobs WHERE id = $1`, [job.id]);
    expect(rows[0].status).toBe('queued');
    expect((await api.app.get(CreditsService).summary(tenantId)).reserved).toBe(job.credits);
  });
});
