import { randomBytes } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import request_ from 'supertest';
import { DataSource } from 'typeorm';
import { CreditHolds } from '../../src/billing/credit-holds';
import { CreditsService } from '../../src/billing/credits.service';
import { AppConfig } from '../../src/config/app-config';
import { JobMaintenance } from '../../src/jobs/job-maintenance';
import { JobMaintenanceScheduler } from '../../src/jobs/job-maintenance.scheduler';
import { JobOutcomes } from '../../src/jobs/job-outcomes';
import { JobService } from '../../src/jobs/job.service';
import { MAINTENANCE_TASK, MaintenanceRunRepository } from '../../src/jobs/maintenance-run.repository';
import { SYNTHESIS_QUEUE } from '../../src/jobs/queue-names';
import { SynthesisJobRepository } from '../../src/jobs/synthesis-job.repository';
import type { WorkerHeartbeatService } from '../../src/jobs/worker-heartbeat.service';
import { WebhookOutbox } from '../../src/webhooks/webhook-outbox';
import { WebhookDeliveriesRepository } from '../../src/webhooks/webhook-deliveries.repository';
import { WEBHOOK_QUEUE } from '../../src/webhooks/webhook-queue';
import { RootLogger } from '../../src/logging/root-logger';
import { redisOptions } from '../../src/redis/redis-options';
import { RESULT_STORE } from '../../src/storage/result-store';
import { startTestApi, TestApi } from '../support/test-api';
import { testVoiceRequest } from '../fakes/test-voice-request';

/** The worker side's maintenance, built over the api application's providers (no worker process runs here). */
describe('job maintenance: claimed in PostgreSQL, relay repairs what the queue lost', () => {
  const prefix = `${process.env.QUEUE_PREFIX}-${randomBytes(3).toString('hex')}`;
  let api: TestApi;
  let dataSource: DataSource;
  let jobs: JobService;
  let queue: Queue;
  let maintenance: JobMaintenance;
  let runs: MaintenanceRunRepository;

  beforeAll(async () => {
    api = await startTestApi({ QUEUE_PREFIX: prefix, JOB_RELAY_MIN_AGE_MS: '0', MAINTENANCE_INTERVAL_MS: '1000' });
    dataSource = api.app.get(DataSource);
    jobs = api.app.get(JobService);
    queue = api.app.get(getQueueToken(SYNTHESIS_QUEUE));
    const repository = api.app.get(SynthesisJobRepository);
    const webhookOutbox = new WebhookOutbox(
      dataSource,
      api.app.get(getQueueToken(WEBHOOK_QUEUE)),
      new WebhookDeliveriesRepository(dataSource),
      api.app.get(RootLogger),
    );
    const outcomes = new JobOutcomes(
      dataSource,
      repository,
      api.app.get(RESULT_STORE),
      api.app.get(CreditsService),
      webhookOutbox,
      api.app.get(AppConfig),
    );
    maintenance = new JobMaintenance(
      dataSource,
      repository,
      queue,
      api.app.get(RESULT_STORE),
      outcomes,
      api.config,
      api.app.get(RootLogger),
      webhookOutbox,
    );
    runs = new MaintenanceRunRepository(dataSource);
  });
  afterAll(() => api.close());

  function scheduler(workerId: string): JobMaintenanceScheduler {
    const heartbeat = { workerId } as WorkerHeartbeatService;
    return new JobMaintenanceScheduler(
      maintenance,
      runs,
      api.app.get(CreditHolds),
      heartbeat,
      api.app.get(AppConfig),
      api.app.get(RootLogger),
    );
  }

  it('of several workers asking at once, exactly one runs a round; the next round is due after the interval', async () => {
    await dataSource.query(`DELETE FROM maintenance_runs WHERE task = $1`, [MAINTENANCE_TASK]);
    const workers = ['host-a:1', 'host-b:2', 'host-c:3', 'host-d:4', 'host-e:5'].map(scheduler);
    const first = await Promise.all(workers.map((worker) => worker.runRound()));
    expect(first.filter(Boolean)).toHaveLength(1);
    expect((await Promise.all(workers.map((worker) => worker.runRound()))).filter(Boolean)).toHaveLength(0);
    const last = await runs.lastRun(MAINTENANCE_TASK);
    expect(['host-a:1', 'host-b:2', 'host-c:3', 'host-d:4', 'host-e:5']).toContain(last?.startedBy);
    await new Promise((resolve) => setTimeout(resolve, 850)); // 0.8 × MAINTENANCE_INTERVAL_MS
    expect((await Promise.all(workers.map((worker) => worker.runRound()))).filter(Boolean)).toHaveLength(1);
  });

  it('/health/ready reports when and where maintenance last ran, and a silence of three intervals as degraded (never a 503)', async () => {
    await dataSource.query(`DELETE FROM maintenance_runs WHERE task = $1`, [MAINTENANCE_TASK]);
    expect(await scheduler('host-z:9').runRound()).toBe(true);
    const fresh = await request_(api.baseUrl).get('/health/ready');
    expect(fresh.body.details.maintenance).toMatchObject({ state: 'up', by: 'host-z:9', ageSeconds: expect.any(Number) });
    await dataSource.query(`UPDATE maintenance_runs SET started_at = now() - interval '1 minute' WHERE task = $1`, [MAINTENANCE_TASK]);
    const stale = await request_(api.baseUrl).get('/health/ready');
    expect(stale.status).toBe(200);
    expect(stale.body.details.maintenance).toMatchObject({
      state: 'degraded',
      by: 'host-z:9',
      message: expect.stringMatching(/No job maintenance round/),
    });
  });

  it('a queued job whose queue entry was lost (Redis flushed) is enqueued again', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Kazi iliyopotea.'), { face: 'sauti' });
    await queue.remove(job.id);
    expect(await queue.getJobState(job.id)).toBe('unknown');
    await maintenance.relay();
    expect(await queue.getJobState(job.id)).toBe('waiting');
  });

  it('a running job whose queue entry was lost (Redis restarted empty under it) is enqueued again', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Ilikuwa ikiendeshwa.'), { face: 'sauti' });
    await api.app.get(SynthesisJobRepository).markRunning(job.id);
    await queue.remove(job.id);
    await maintenance.relay();
    expect(await queue.getJobState(job.id)).toBe('waiting');
  });

  it('a job the queue failed for good while its row could not record it (database down) runs once more', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Hifadhidata ilikuwa chini.'), { face: 'sauti' });
    // The queue's last attempt ends `failed` but the row is still queued: as if fail() had not reached PostgreSQL.
    const worker = new Worker(
      SYNTHESIS_QUEUE,
      async () => {
        throw new UnrecoverableError('the database was down');
      },
      { connection: redisOptions(api.config.redis.url, 'worker'), prefix },
    );
    try {
      for (let i = 0; i < 100 && (await queue.getJobState(job.id)) !== 'failed'; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await worker.close();
    }
    expect(await queue.getJobState(job.id)).toBe('failed');
    expect((await jobs.get(tenantId, job.id)).status).toBe('queued');
    await maintenance.relay();
    expect(await queue.getJobState(job.id)).toBe('waiting');
  });

  it('a relay cut short by its deadline stops between rows', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, testVoiceRequest('Muda umekwisha.'), { face: 'sauti' });
    await queue.remove(job.id);
    expect(await maintenance.relay(Date.now() - 1)).toBe(0);
    expect(await queue.getJobState(job.id)).toBe('unknown');
  });
});
