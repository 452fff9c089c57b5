import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import Redis from 'ioredis';
import { chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { dashboardDirectory } from '../src/admin/dashboard/dashboard-static';
import { createApiApp } from '../src/api-app';
import { AppConfig } from '../src/config/app-config';
import { HISTORY_KEY, HISTORY_SLOT_SECONDS, HISTORY_TTL_MS, historyField, slotOf } from '../src/metrics/metrics-history';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

const TENANTS = 1000;
const JOBS = 100_000;
const CALLS_PER_ENDPOINT = Number(process.env.BENCH_DASHBOARD_CALLS ?? 200);
const PAGE_LOADS = 7;
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdefghijklmnop';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** 1,000 tenants; 100,000 jobs over the last 30 days (3 % failed), each with its ledger rows; a top-up each. */
async function seed(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `INSERT INTO tenants (name, credit_balance) SELECT 'tenant-' || lpad(i::text, 4, '0'), 1000000 FROM generate_series(1, $1) i`,
    [TENANTS],
  );
  await dataSource.query(`
    INSERT INTO synthesis_jobs (id, tenant_id, face, status, request, request_hash, characters, credits, result_ttl_seconds,
                                error_code, error_message, routing_attempts, created_at, started_at, completed_at, expires_at)
    SELECT 'job_bench_' || i, t.id, 'sauti', CASE WHEN i % 33 = 0 THEN 'failed' WHEN i % 500 = 0 THEN 'queued' ELSE 'succeeded' END,
           jsonb_build_object('route', CASE i % 3 WHEN 0 THEN 'sauti-swahili-v1' WHEN 1 THEN 'sauti-test-v1' ELSE 'espeak/sw' END),
           repeat('0', 64), 200 + i % 800, 200 + i % 800, 3600,
           CASE WHEN i % 33 = 0 THEN 'all_providers_failed' END, CASE WHEN i % 33 = 0 THEN 'every provider failed' END,
           CASE WHEN i % 33 = 0 THEN '[{"provider":"vits","voice":"sauti-swahili-v1","outcome":"provider_timeout","durationMs":20000,"retries":0}]'::jsonb END,
           now() - (i * interval '26 seconds'), now() - (i * interval '26 seconds') + interval '1 second',
           CASE WHEN i % 500 = 0 AND i % 33 <> 0 THEN NULL ELSE now() - (i * interval '26 seconds') + interval '3 seconds' END,
           now() + interval '1 hour'
      FROM generate_series(1, ${JOBS}) i
      JOIN LATERAL (SELECT id FROM tenants ORDER BY name OFFSET (i % ${TENANTS}) LIMIT 1) t ON true`);
  await dataSource.query(`
    INSERT INTO credit_ledger (tenant_id, kind, amount, reference, created_at)
    SELECT tenant_id, 'reserve', -credits, id, created_at FROM synthesis_jobs
    UNION ALL
    SELECT tenant_id, CASE WHEN status = 'failed' THEN 'release' ELSE 'settle' END, CASE WHEN status = 'failed' THEN credits ELSE 0 END, id, completed_at
      FROM synthesis_jobs WHERE completed_at IS NOT NULL
    UNION ALL
    SELECT id, 'topup', 1000000, 'topup_bench_' || id, created_at FROM tenants`);
  // The usage events and hourly rollups reserve_credits() and finish_reservation() would have written with them.
  await dataSource.query(`
    INSERT INTO usage_events (reference, tenant_id, face, voice, characters, reserved, refunded, status, created_at, finished_at)
    SELECT id, tenant_id, face, request->>'route', characters, credits, CASE WHEN status = 'failed' THEN credits ELSE 0 END,
           CASE WHEN completed_at IS NULL THEN 'open' WHEN status = 'failed' THEN 'failed' ELSE 'succeeded' END, created_at, completed_at
      FROM synthesis_jobs`);
  await dataSource.query(`SELECT roll_up_usage(e, 1, e.reserved - e.refunded, e.refunded, 0) FROM usage_events e WHERE e.status <> 'open'`);
  await dataSource.query('ANALYZE');
}

/** An hour of chart history as three providers in two processes would leave it. */
async function seedHistory(redis: Redis, prefix: string): Promise<void> {
  const pipeline = redis.pipeline();
  const last = slotOf(Date.now());
  const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '+Inf'];
  for (let slot = last - 3600; slot <= last; slot += HISTORY_SLOT_SECONDS) {
    const key = `${prefix}:${HISTORY_KEY}:${slot}`;
    for (const subject of ['vits', 'espeak', 'openai'])
      for (const process of ['api@bench:1', 'worker@bench:2']) {
        pipeline.hincrby(key, historyField({ kind: 'p', subject, process, measure: 'n' }), 20);
        pipeline.hincrby(key, historyField({ kind: 'p', subject, process, measure: 'f' }), 1);
        bounds.forEach((bound, index) =>
          pipeline.hincrby(key, historyField({ kind: 'p', subject, process, measure: `le=${bound}` }), Math.min(20, index * 3)),
        );
      }
    pipeline.pexpire(key, HISTORY_TTL_MS);
  }
  await pipeline.exec();
}

function timedGet(agent: http.Agent, url: string, cookie: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers: { cookie } }, (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`${url}: ${response.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** The gzip size of every script and stylesheet index.html loads. */
function firstLoadBytes(): { files: Record<string, number>; gzipBytes: number } {
  const directory = dashboardDirectory();
  if (!directory) throw new Error('dist/dashboard is missing: npm run bench builds it');
  const html = readFileSync(join(directory, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/dashboard\/(assets\/[^"]+\.(?:js|css))"/g)].map((match) => match[1]);
  const files = Object.fromEntries(assets.map((asset) => [asset, gzipSync(readFileSync(join(directory, asset))).length]));
  return { files, gzipBytes: Object.values(files).reduce((sum, size) => sum + size, 0) };
}

async function timeToInteractive(baseUrl: string, cookie: { name: string; value: string }): Promise<number[]> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const times: number[] = [];
  try {
    for (let run = 0; run < PAGE_LOADS; run++) {
      // A new context each time: an empty cache, as on an operator's first visit.
      const context = await browser.newContext();
      await context.addCookies([{ ...cookie, url: `${baseUrl}/admin/v1` }]);
      const page = await context.newPage();
      await page.goto(`${baseUrl}/dashboard/`);
      // globalThis: this file's own `performance` import must not reach the page (and the page's CSP forbids eval).
      await page.waitForFunction(() => globalThis.performance.getEntriesByName('dashboard-ready').length > 0, undefined, {
        timeout: 10_000,
      });
      times.push(await page.evaluate(() => globalThis.performance.getEntriesByName('dashboard-ready')[0].startTime));
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return times;
}

/**
 * The dashboard's goals: first load ≤ 300 KB of JavaScript and CSS (gzip), interactive (the live view
 * rendered with data) ≤ 1 s, and the admin endpoints it polls p50 ≤ 20 ms with 1,000 tenants and
 * 100,000 jobs in the database.
 */
export const dashboardSuite: Suite = {
  name: 'dashboard',
  description: `ops dashboard: bundle size, time to interactive, polled endpoints with ${TENANTS} tenants and ${JOBS} jobs`,
  async run() {
    const env = await prepareBenchEnvironment('sauti_bench_dashboard');
    const config = AppConfig.load({ ...process.env, ...env, ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const redis = new Redis(env.REDIS_URL);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const seeding = performance.now();
      await seed(app.get(DataSource));
      for (const key of await redis.keys(`${env.QUEUE_PREFIX}:${HISTORY_KEY}:*`)) await redis.del(key);
      await seedHistory(redis, env.QUEUE_PREFIX);
      const seedSeconds = round((performance.now() - seeding) / 1000, 1);

      const signIn = await fetch(`${baseUrl}/admin/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: ADMIN_TOKEN }),
      });
      const [name, value] = signIn.headers.get('set-cookie')!.split(';')[0].split('=');
      const cookie = `${name}=${value}`;
      const recent = slotOf(Date.now()) - 4 * HISTORY_SLOT_SECONDS;
      const endpoints = [
        '/admin/v1/overview',
        `/admin/v1/metrics/history?since=${recent}`,
        '/admin/v1/tenants?limit=25',
        '/admin/v1/failures?kind=all&limit=100',
        '/admin/v1/metrics/history',
      ];
      const rows = [];
      for (const path of endpoints) {
        for (let i = 0; i < 10; i++) await timedGet(agent, baseUrl + path, cookie);
        const latencies: number[] = [];
        for (let i = 0; i < CALLS_PER_ENDPOINT; i++) latencies.push(await timedGet(agent, baseUrl + path, cookie));
        const p50 = percentile(latencies, 50);
        rows.push({
          endpoint: path,
          calls: CALLS_PER_ENDPOINT,
          p50_ms: round(p50, 2),
          p95_ms: round(percentile(latencies, 95), 2),
          goal: 'p50 ≤ 20 ms',
          met: p50 <= 20,
        });
      }
      const bundle = firstLoadBytes();
      const interactive = await timeToInteractive(baseUrl, { name, value });
      const interactiveP50 = percentile(interactive, 50);
      return {
        seeded: `${TENANTS} tenants, ${JOBS} jobs, ${JOBS * 2 + TENANTS} ledger rows, 1 h of chart history (${seedSeconds} s to seed)`,
        first_load_gzip_kb: round(bundle.gzipBytes / 1024, 1),
        first_load_files: bundle.files,
        first_load_goal: `≤ 300 KB (${bundle.gzipBytes / 1024 <= 300 ? 'met' : 'missed'})`,
        interactive_ms: interactive.map((ms) => round(ms, 0)),
        interactive_p50_ms: round(interactiveP50, 0),
        interactive_goal: `≤ 1000 ms (${Math.max(...interactive) <= 1000 ? 'met on every load' : interactiveP50 <= 1000 ? 'met at p50' : 'missed'})`,
        rows,
      };
    } finally {
      agent.destroy();
      redis.disconnect();
      await app.close();
    }
  },
};
