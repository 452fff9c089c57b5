import request from 'supertest';
import { WebhookEndpointsRepository } from '../../src/webhooks/webhook-endpoints.repository';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { WebhookReceiver } from '../fakes/webhook-receiver';
import { FAKE_VOICE, startJobFixture } from './job-fixture';
import { spawnService, ServiceProcess } from './service-process';
import { startTestApi, TestApi } from './test-api';

/** Loopback is allow-listed here only, as a development set-up would; schedules are shortened so the tests take seconds. */
export const WEBHOOK_TEST_ENV = {
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
  WEBHOOK_RETRY_SCHEDULE: '300ms,600ms,1200ms,2400ms',
  WEBHOOK_SECRET_GRACE_SECONDS: '2',
  WORKER_REPORT_INTERVAL_MS: '300',
};

export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface WebhookFixture {
  api: TestApi;
  upstream: ScriptableUpstream;
  env: Record<string, string>;
  /** This test's receiver (a new one per test). */
  receiver: WebhookReceiver;
  worker?: ServiceProcess;
  http(): ReturnType<typeof request>;
  startWorker(overrides?: Record<string, string>): Promise<ServiceProcess>;
  /** A tenant with one endpoint pointing at this test's receiver, which verifies with its secret. */
  tenantWithWebhook(events?: string[]): Promise<{ apiKey: string; tenantId: string; webhookId: string; secret: string }>;
  sautiJob(apiKey: string, text?: string): Promise<string>;
  deliveryLog(apiKey: string, webhookId: string): Promise<Array<Record<string, unknown>>>;
  webhook(apiKey: string, webhookId: string): Promise<Record<string, unknown>>;
}

/**
 * The webhook e2e set-up: the api in-process, a worker child process per test (started by the test,
 * so it can choose settings), the fake upstream voice of the job fixture and a receiver on loopback.
 * Registers the jest hooks of the calling describe block, and removes its endpoints at the end.
 */
export function useWebhookFixture(): WebhookFixture {
  const endpoints: string[] = [];
  const fixture = {
    http: () => request(fixture.api.baseUrl),
    async startWorker(overrides: Record<string, string> = {}) {
      const worker = spawnService('worker', { ...fixture.env, ...overrides });
      fixture.worker = worker;
      await worker.waitForOutput(/worker started/);
      return worker;
    },
    async tenantWithWebhook(events?: string[]) {
      const { apiKey, tenantId } = await fixture.api.createTenant(100_000);
      const created = await fixture.http().post('/v1/webhooks').set('xi-api-key', apiKey).send({ url: fixture.receiver.url, events });
      expect(created.status).toBe(201);
      fixture.receiver.secrets = [created.body.secret];
      endpoints.push(created.body.id);
      return { apiKey, tenantId, webhookId: created.body.id as string, secret: created.body.secret as string };
    },
    async sautiJob(apiKey: string, text = 'Habari za asubuhi.') {
      const created = await fixture.http().post('/v1/tts/jobs').set('xi-api-key', apiKey).send({ text, voice_id: FAKE_VOICE });
      expect(created.status).toBe(202);
      return created.body.job_id as string;
    },
    async deliveryLog(apiKey: string, webhookId: string) {
      const log = await fixture.http().get(`/v1/webhooks/${webhookId}/deliveries`).set('xi-api-key', apiKey);
      expect(log.status).toBe(200);
      return log.body.deliveries as Array<Record<string, unknown>>;
    },
    async webhook(apiKey: string, webhookId: string) {
      return (await fixture.http().get(`/v1/webhooks/${webhookId}`).set('xi-api-key', apiKey)).body;
    },
  } as WebhookFixture;

  beforeAll(async () => {
    const jobs = await startJobFixture();
    fixture.upstream = jobs.upstream;
    fixture.env = { ...jobs.env, ...WEBHOOK_TEST_ENV };
    fixture.api = await startTestApi(fixture.env);
  });
  beforeEach(async () => {
    fixture.receiver = await WebhookReceiver.start();
  });
  afterEach(async () => {
    await fixture.worker?.stop('SIGKILL');
    fixture.worker = undefined;
    await fixture.receiver.stop();
    fixture.upstream.reset();
  });
  afterAll(async () => {
    // Their pending deliveries would otherwise be relayed to later test files' workers (one database per run).
    for (const id of endpoints) await fixture.api.app.get(WebhookEndpointsRepository).delete(undefined, id);
    await fixture.api.close();
    await fixture.upstream.close();
  });
  return fixture;
}
