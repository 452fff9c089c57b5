import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { decodeWav } from '../../src/audio/wav';
import { DEFAULT_VOICE_SETTINGS } from '../../src/common/voice-settings';
import { JobService } from '../../src/jobs/job.service';
import { SYNTHESIS_QUEUE } from '../../src/jobs/queue-names';
import { redisOptions } from '../../src/redis/redis-options';
import type { SynthesisRequest } from '../../src/synthesis/synthesis-request';
import { ScriptableUpstream, toneWav } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';

function request(text: string, route = FAKE_VOICE): SynthesisRequest {
  return { text, characters: [...text].length, route, fallbacks: [], settings: { ...DEFAULT_VOICE_SETTINGS }, format: 'wav' };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('async synthesis jobs (api in-process, worker as a child process)', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let env: Record<string, string>;
  let jobs: JobService;
  let worker: ServiceProcess | undefined;

  beforeAll(async () => {
    ({ upstream, env } = await startJobFixture());
    api = await startTestApi(env);
    jobs = api.app.get(JobService);
  });
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    worker = undefined;
    upstream.reset();
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const startWorker = async () => {
    worker = spawnService('worker', env);
    await worker.waitForOutput(/worker started/);
  };
  const status = (tenantId: string, id: string) => jobs.get(tenantId, id).then((job) => job.status);
  const ledger = async (reference: string) =>
    (await api.app.get(DataSource).query(`SELECT kind FROM credit_ledger WHERE reference = $1 ORDER BY id`, [reference])).map(
      (r: { kind: string }) => r.kind,
    );

  it('runs a job to success: one result, one reserve, one settle', async () => {
    const { tenantId } = await api.createTenant(1000);
    await startWorker();
    const { job } = await jobs.create(tenantId, request('Habari za asubuhi.'), { face: 'sauti' });
    expect(job.status).toBe('queued');
    await until(async () => ((await status(tenantId, job.id)) === 'succeeded' ? true : undefined));
    const { job: done, result } = await jobs.getAudio(tenantId, job.id);
    expect(decodeWav(result.audio).sampleRate).toBe(16000);
    expect(result.durationSeconds).toBeCloseTo(0.5, 1);
    expect(done.provider).toBe('fake');
    expect(done.expiresAt!.getTime() - done.completedAt!.getTime()).toBe(3600 * 1000);
    expect(await ledger(job.id)).toEqual(['reserve', 'settle']);
    expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 1000 - 18, ledgerSum: 1000 - 18 });
  });

  it('a worker killed with SIGKILL mid-job: after restart the job succeeds once', async () => {
    const { tenantId } = await api.createTenant(1000);
    upstream.enqueue({ hang: true });
    await startWorker();
    const { job } = await jobs.create(tenantId, request('Kazi ndefu.'), { face: 'sauti' });
    await until(async () => (upstream.calls >= 1 ? true : undefined));
    expect(await status(tenantId, job.id)).toBe('running');
    await worker!.stop('SIGKILL');
    await startWorker();
    await until(async () => ((await status(tenantId, job.id)) === 'succeeded' ? true : undefined));
    const row = await jobs.get(tenantId, job.id);
    expect(row.attempts).toBe(2);
    expect(await ledger(job.id)).toEqual(['reserve', 'settle']);
    const results = await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM job_results WHERE job_id = $1`, [job.id]);
    expect(results[0].n).toBe(1);
  });

  it('the relay re-enqueues a committed job whose BullMQ job was lost', async () => {
    const { tenantId } = await api.createTenant(1000);
    const { job } = await jobs.create(tenantId, request('Kazi iliyopotea.'), { face: 'sauti' });
    const queue = new Queue(SYNTHESIS_QUEUE, { connection: redisOptions(process.env.REDIS_URL!, 'producer'), prefix: env.QUEUE_PREFIX });
    try {
      await queue.remove(job.id);
      expect(await queue.getJob(job.id)).toBeUndefined();
    } finally {
      await queue.close();
    }
    await startWorker();
    await until(async () => ((await status(tenantId, job.id)) === 'succeeded' ? true : undefined));
    expect(await ledger(job.id)).toEqual(['reserve', 'settle']);
  });

  it('a chain that always fails: the job fails with a code and the balance is restored exactly', async () => {
    const { tenantId } = await api.createTenant(500);
    upstream.defaultResponse = { status: 503, body: { error: { message: 'upstream overloaded' } } };
    try {
      await startWorker();
      const { job } = await jobs.create(tenantId, request('Hii itashindwa.'), { face: 'sauti' });
      await until(async () => ((await status(tenantId, job.id)) === 'failed' ? true : undefined), 45_000);
      const failed = await jobs.get(tenantId, job.id);
      expect(failed.errorCode).toMatch(/provider_unavailable|all_providers_failed/);
      expect(failed.attempts).toBe(2);
      expect(await ledger(job.id)).toEqual(['reserve', 'release']);
      expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 500, ledgerSum: 500, reserved: 0 });
      await expect(jobs.getAudio(tenantId, job.id)).rejects.toMatchObject({ code: 'job_not_ready' });
    } finally {
      upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
    }
  });

  // A job's audio reaches nobody before the file is whole: a stream cut after its first bytes fails that
  // attempt (nothing stored, nothing settled), and the job is tried again like any transient failure.
  const cutShort = {
    status: 200,
    headers: { 'content-type': 'audio/wav' },
    body: toneWav(0.5, 16000),
    pieces: { count: 5, intervalMs: 50, failAfter: 2 },
  };

  it('a provider that fails after its first audio bytes: the attempt fails, the next one stores the whole file, charged once', async () => {
    const { tenantId } = await api.createTenant(1000);
    upstream.enqueue(cutShort);
    await startWorker();
    const { job } = await jobs.create(tenantId, request('Habari za jioni.'), { face: 'sauti' });
    await until(async () => ((await status(tenantId, job.id)) === 'succeeded' ? true : undefined), 45_000);
    expect(upstream.calls).toBe(2);
    const { job: done, result } = await jobs.getAudio(tenantId, job.id);
    expect(done.attempts).toBe(2);
    expect(result.durationSeconds).toBeCloseTo(0.5, 1);
    expect(decodeWav(result.audio).samples.length).toBe(8000);
    expect(await ledger(job.id)).toEqual(['reserve', 'settle']);
  });

  it('a provider that fails after its first audio bytes on every attempt: the job ends failed with the stream error, nothing charged', async () => {
    const { tenantId } = await api.createTenant(500);
    upstream.defaultResponse = cutShort;
    try {
      await startWorker();
      const { job } = await jobs.create(tenantId, request('Hii itakatika.'), { face: 'sauti' });
      await until(async () => ((await status(tenantId, job.id)) === 'failed' ? true : undefined), 45_000);
      const failed = await jobs.get(tenantId, job.id);
      expect(failed.errorCode).toBe('provider_unavailable');
      expect(failed.attempts).toBe(2);
      expect(upstream.calls).toBe(2);
      expect(await ledger(job.id)).toEqual(['reserve', 'release']);
      expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 500, ledgerSum: 500, reserved: 0 });
      await expect(jobs.getAudio(tenantId, job.id)).rejects.toMatchObject({ code: 'job_not_ready' });
    } finally {
      upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
    }
  });
});
