/**
 * Completion webhooks: the time from a job's completion (its `completed_at`, written in the
 * transaction that also records the delivery) to the moment a receiver on loopback has read the
 * signed delivery, for JOBS jobs created at a steady pace and run by one worker child process with the
 * generated test voice. Goal: p50 ≤ 100 ms. Every delivery is verified with the `standardwebhooks`
 * package and counted (each job exactly once). Standalone: `npm run bench -- webhooks`
 * (BENCH_WEBHOOK_JOBS, default 100; BENCH_WEBHOOK_JOBS_PER_SECOND, default 5).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api-app';
import { AppConfig } from '../src/config/app-config';
import { JobService } from '../src/jobs/job.service';
import type { SynthesisRequest } from '../src/synthesis/synthesis-request';
import { testVoiceRequest } from '../test/fakes/test-voice-request';
import { TenantsService } from '../src/tenants/tenants.service';
import { WebhookEndpointsService } from '../src/webhooks/webhook-endpoints.service';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

const JOBS = Math.max(1, Number(process.env.BENCH_WEBHOOK_JOBS ?? 100));
const JOBS_PER_SECOND = Math.max(0.1, Number(process.env.BENCH_WEBHOOK_JOBS_PER_SECOND ?? 5));
const GOAL_P50_MS = 100;

function request(i: number): SynthesisRequest {
  return testVoiceRequest(`Habari za asubuhi. Kazi namba ${i} imekamilika.`);
}

interface Receipt {
  webhookId: string;
  jobId: string;
  receivedAt: number;
  verified: boolean;
}

/** A receiver that reads each delivery, verifies it and answers 204 (what a well-behaved tenant does). */
async function startReceiver(receipts: Receipt[], secret: () => string): Promise<http.Server> {
  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const receivedAt = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(incoming.headers['webhook-id']),
        'webhook-timestamp': String(incoming.headers['webhook-timestamp']),
        'webhook-signature': String(incoming.headers['webhook-signature']),
      };
      let verified = true;
      try {
        new Webhook(secret()).verify(body, headers);
      } catch {
        verified = false;
      }
      receipts.push({ webhookId: headers['webhook-id'], jobId: JSON.parse(body).data.job_id, receivedAt, verified });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return server;
}

export const webhooksSuite: Suite = {
  name: 'webhooks',
  description: `completion → delivery latency, ${JOBS} jobs at ${JOBS_PER_SECOND}/s, sauti-test-v1, one worker, receiver on loopback`,
  async run() {
    const env: Record<string, string> = {
      ...(await prepareBenchEnvironment()),
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32',
      AUDIO_URL_SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef',
    };
    Object.assign(process.env, env);
    const redis = new Redis(env.REDIS_URL);
    for (const key of await redis.keys('sauti-bench:*')) await redis.del(key);
    redis.disconnect();
    const receipts: Receipt[] = [];
    let secret = '';
    const receiver = await startReceiver(receipts, () => secret);
    const root = __filename.endsWith('.js') ? resolve(__dirname, '..', '..') : resolve(__dirname, '..');
    const worker = spawn(process.execPath, [join(root, 'dist', 'src', 'worker.js')], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    const app = await createApiApp(AppConfig.load(process.env));
    await app.init();
    try {
      const jobs = app.get(JobService);
      const dataSource = app.get(DataSource);
      const { tenant } = await app.get(TenantsService).create('bench', 100_000_000);
      await dataSource.query(`UPDATE tenants SET max_active_jobs = 100000 WHERE id = $1`, [tenant.id]);
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      ({ secret } = await app.get(WebhookEndpointsService).create(tenant.id, { url }));

      // Warm-up, not measured: the worker's start-up (voice, eSpeak) and the first delivery's connection.
      const warmUp = (await jobs.create(tenant.id, request(-1), { face: 'sauti' })).job.id;
      await waitFor(() => receipts.some((receipt) => receipt.jobId === warmUp), 60_000, 'the warm-up delivery');

      const ids: string[] = [];
      const started = Date.now();
      for (let i = 0; i < JOBS; i++) {
        const wait = started + (i * 1000) / JOBS_PER_SECOND - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        ids.push((await jobs.create(tenant.id, request(i), { face: 'sauti' })).job.id);
      }
      const wanted = new Set(ids);
      await waitFor(() => receipts.filter((receipt) => wanted.has(receipt.jobId)).length >= JOBS, 120_000, `${JOBS} deliveries`);
      await new Promise((r) => setTimeout(r, 1000)); // a duplicate would arrive now

      const rows: Array<{ id: string; completed_at: Date; status: string }> = await dataSource.query(
        `SELECT id, completed_at, status FROM synthesis_jobs WHERE id = ANY($1)`,
        [ids],
      );
      const completedAt = new Map(rows.map((row) => [row.id, row.completed_at.getTime()]));
      const measured = receipts.filter((receipt) => wanted.has(receipt.jobId));
      const latencies = measured.map((receipt) => receipt.receivedAt - completedAt.get(receipt.jobId)!);
      const perJob = new Map<string, number>();
      for (const receipt of measured) perJob.set(receipt.jobId, (perJob.get(receipt.jobId) ?? 0) + 1);
      const p50 = percentile(latencies, 50);
      return {
        rows: [
          { metric: 'jobs', value: JOBS, goal: '' },
          { metric: 'jobs succeeded', value: rows.filter((row) => row.status === 'succeeded').length, goal: 'all' },
          { metric: 'deliveries received', value: measured.length, goal: String(JOBS) },
          { metric: 'jobs delivered more than once', value: [...perJob.values()].filter((count) => count > 1).length, goal: '0' },
          {
            metric: 'signatures verified (standardwebhooks)',
            value: measured.filter((receipt) => receipt.verified).length,
            goal: String(JOBS),
          },
          { metric: 'completion → delivery p50 (ms)', value: round(p50, 1), goal: `≤ ${GOAL_P50_MS}` },
          { metric: 'completion → delivery p90 (ms)', value: round(percentile(latencies, 90), 1), goal: '' },
          { metric: 'completion → delivery p99 (ms)', value: round(percentile(latencies, 99), 1), goal: '' },
          { metric: 'completion → delivery max (ms)', value: round(Math.max(...latencies), 1), goal: '' },
        ],
        goalMet: p50 <= GOAL_P50_MS,
        note:
          "completion = the job's completed_at (PostgreSQL's now() in the transaction that stores the result and the delivery row); " +
          'delivery = the receiver has read the whole signed request. Same machine, so one clock.',
      };
    } finally {
      await app.close();
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      await new Promise((r) => receiver.close(r));
    }
  },
};

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
