import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { parse, stringify } from 'yaml';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Jobs run in the worker, whose breakers and metrics are its own: the api shows them from the worker's reports. */
describe('worker reports in the api’s /health/ready and /metrics', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let worker: ServiceProcess;
  let apiKey: string;
  let workerId: string;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    upstream.defaultResponse = { status: 500, body: { error: { message: 'down for the test' } } };
    // Two failed attempts open the fake's breaker (the fixture's threshold never opens it).
    const providersFile = join(fixture.env.CONFIG_DIR, 'providers.yaml');
    const providers = parse(readFileSync(providersFile, 'utf8'));
    providers.breaker = { failure_threshold: 2, window_ms: 60_000, cooldown_ms: 600_000 };
    writeFileSync(providersFile, stringify(providers));
    const env = { ...fixture.env, WORKER_REPORT_INTERVAL_MS: '200' };
    api = await startTestApi(env);
    ({ apiKey } = await api.createTenant(100_000));
    worker = spawnService('worker', env);
    await worker.waitForOutput(/worker started/);
    workerId = await eventually(async () => {
      const ready = await request(api.baseUrl).get('/health/ready');
      return (ready.body.details?.workers?.workers as Json[] | undefined)?.[0]?.workerId as string | undefined;
    }, 'the worker to report');
  });
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await api.close();
    await upstream.close();
  });

  it('a breaker the worker opened shows under the provider, and the worker’s series are in /metrics', async () => {
    const created = await request(api.baseUrl)
      .post('/v1/async/audio/speech')
      .set('authorization', `Bearer ${apiKey}`)
      .send({ model: 'fake/fake-model', voice: 'nova', input: 'Haitafanikiwa.' });
    expect(created.status).toBe(202);
    // JOB_MAX_ATTEMPTS=2, no retries inside an attempt: two calls, two failures, breaker open.
    await eventually(
      async () => {
        const polled = await request(api.baseUrl).get(`/v1/async/audio/speech/${created.body.id}`).set('authorization', `Bearer ${apiKey}`);
        return polled.body.status === 'failed' ? polled : undefined;
      },
      'the job to fail',
      30_000,
    );
    expect(upstream.calls).toBe(2);

    const fake = await eventually(async () => {
      const ready = await request(api.baseUrl).get('/health/ready');
      const report = ready.body.details['provider:fake'] as Json;
      return report.workers?.[workerId]?.breaker === 'open' ? report : undefined;
    }, 'the worker’s open breaker in /health/ready');
    expect(fake).toMatchObject({
      state: 'degraded',
      breaker: 'closed',
      workers: { [workerId]: { breaker: 'open', lastError: { code: 'provider_unavailable' } } },
    });
    expect(fake.workers[workerId].lastError.message).toContain('down for the test');

    const metrics = await request(api.baseUrl).get('/metrics');
    expect(metrics.status).toBe(200);
    const text = metrics.text;
    expect(text).toContain(`tts_provider_attempts_total{provider="fake",outcome="provider_unavailable",worker="${workerId}"} 2`);
    expect(text).toContain(`tts_provider_breaker_state{provider="fake",worker="${workerId}"} 2`);
    expect(text).toMatch(new RegExp(`process_resident_memory_bytes\\{worker="${workerId}"\\} \\d+`));
    // Nothing is summed or dropped: both processes' start times are there.
    expect(text).toMatch(/^process_start_time_seconds \d+$/m);
    expect(text).toMatch(new RegExp(`^process_start_time_seconds\\{worker="${workerId}"\\} \\d+$`, 'm'));
    // Deployment-wide job gauges come from the api alone, never once per worker.
    expect(text).toMatch(/^tts_jobs\{status="failed"\} \d+$/m);
    expect(text).not.toMatch(/^tts_jobs\{[^}]*worker=/m);
    // One family each, the api's own series alongside.
    expect(text.match(/^# TYPE tts_provider_attempts_total counter$/gm)).toHaveLength(1);
    expect(text).toMatch(/^tts_http_requests_total\{face="other",method="GET",status="200"\} \d+$/m);
  });

  it('a worker that stops takes its reports with it', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
    const metrics = await request(api.baseUrl).get('/metrics');
    expect(metrics.text).not.toContain(`worker="${workerId}"`);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the readiness memo
    const ready = await request(api.baseUrl).get('/health/ready');
    expect(ready.body.details['provider:fake'].workers).toBeUndefined();
    expect(ready.body.details.workers).toMatchObject({ state: 'degraded', count: 0 });
  });
});
