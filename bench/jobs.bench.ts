import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api-app';
import { CreditsService } from '../src/billing/credits.service';
import { AppConfig } from '../src/config/app-config';
import { JobService } from '../src/jobs/job.service';
import type { SynthesisRequest } from '../src/synthesis/synthesis-request';
import { testVoiceRequest } from '../test/fakes/test-voice-request';
import { TenantsService } from '../src/tenants/tenants.service';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

const DURATION_SECONDS = Math.min(600, Number(process.env.BENCH_JOBS_SECONDS ?? 60));
const CREATES_PER_SECOND = Number(process.env.BENCH_JOBS_CREATES_PER_SECOND ?? 4);
const POLLS_PER_SECOND = 100;
const WARM_UP_CREATES = 5;
const TEXT =
  'Habari za asubuhi. Leo tunajifunza kuhusu hali ya hewa katika mji wa Dar es Salaam, ambapo jua linawaka na upepo unavuma kutoka baharini. Watu wengi wanafanya kazi sokoni na watoto wanakwenda shule.'.slice(
    0,
    200,
  );

function request(i: number): SynthesisRequest {
  return testVoiceRequest(`${TEXT.slice(0, 196)} ${String(i % 1000).padStart(3, '0')}`);
}

/** Runs `work` at `perSecond` for `seconds`, recording each call's latency in ms. */
async function paced(
  perSecond: number,
  seconds: number,
  work: (i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; slowest: { i: number; ms: number }[]; errors: number }> {
  const latencies: number[] = [];
  const byCall: { i: number; ms: number }[] = [];
  let errors = 0;
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; performance.now() - started < seconds * 1000; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(
      work(i).then(
        () => {
          const ms = performance.now() - t0;
          latencies.push(ms);
          byCall.push({ i, ms: round(ms, 2) });
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  return { latencies, slowest: byCall.sort((a, b) => b.ms - a.ms).slice(0, 5), errors };
}

/**
 * Job throughput with the generated test voice: one worker child process, jobs created at a steady
 * rate while the job is polled at 100/s, then an audit of the books.
 */
export const jobsSuite: Suite = {
  name: 'jobs',
  description: `async jobs, sauti-test-v1, 200-character texts, ${DURATION_SECONDS}s (BENCH_JOBS_SECONDS, up to 600)`,
  async run() {
    const env = await prepareBenchEnvironment();
    const redis = new Redis(env.REDIS_URL);
    for (const key of await redis.keys('sauti-bench:*')) await redis.del(key);
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
      const { tenant } = await app.get(TenantsService).create('bench', 100_000_000);
      await app.get(DataSource).query(`UPDATE tenants SET max_active_jobs = 100000 WHERE id = $1`, [tenant.id]);
      const ids: string[] = [];
      // Warm-up, not timed: the first calls pay for connections, prepared plans and JIT compilation,
      // and the worker for its start-up (loading the voice, starting eSpeak); timing starts once it has
      // finished the warm-up jobs.
      for (let i = 0; i < WARM_UP_CREATES; i++) {
        ids.push((await jobs.create(tenant.id, request(1000 + i), { face: 'sauti' })).job.id);
        await jobs.get(tenant.id, ids[i]);
      }
      const warmUpDeadline = Date.now() + 60_000;
      while ((await Promise.all(ids.map((id) => jobs.get(tenant.id, id)))).some((job) => job.status !== 'succeeded')) {
        if (Date.now() > warmUpDeadline) throw new Error('the worker did not finish the warm-up jobs within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const [creates, polls] = await Promise.all([
        paced(CREATES_PER_SECOND, DURATION_SECONDS, async (i) =>
          ids.push((await jobs.create(tenant.id, request(i), { face: 'sauti' })).job.id),
        ),
        paced(POLLS_PER_SECOND, DURATION_SECONDS, async (i) => (ids.length ? jobs.get(tenant.id, ids[i % ids.length]) : undefined)),
      ]);
      const deadline = Date.now() + 120_000;
      const dataSource = app.get(DataSource);
      let open = Infinity;
      while (open > 0 && Date.now() < deadline) {
        open = (
          await dataSource.query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE tenant_id = $1 AND status IN ('queued','running')`, [
            tenant.id,
          ])
        )[0].n;
        if (open > 0) await new Promise((r) => setTimeout(r, 500));
      }
      const stats = (
        await dataSource.query(
          `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
                  EXTRACT(EPOCH FROM max(completed_at) - min(created_at)) AS span,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) AS wait_p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) AS wait_p95
             FROM synthesis_jobs WHERE tenant_id = $1`,
          [tenant.id],
        )
      )[0];
      const doubles = (
        await dataSource.query(
          `SELECT count(*)::int AS n FROM (SELECT reference FROM credit_ledger WHERE tenant_id = $1 AND kind = 'settle' GROUP BY reference HAVING count(*) > 1) d`,
          [tenant.id],
        )
      )[0].n;
      const summary = await app.get(CreditsService).summary(tenant.id);
      return {
        rows: [
          { metric: 'jobs created', value: ids.length, goal: '' },
          { metric: 'jobs succeeded', value: stats.succeeded, goal: 'all' },
          { metric: 'jobs/min', value: round((stats.succeeded / Number(stats.span)) * 60, 1), goal: '' },
          { metric: 'queue wait p50 (s)', value: round(Number(stats.wait_p50)), goal: '' },
          { metric: 'queue wait p95 (s)', value: round(Number(stats.wait_p95)), goal: '' },
          { metric: 'create p50 (ms)', value: round(percentile(creates.latencies, 50), 2), goal: '' },
          { metric: 'create p99 (ms)', value: round(percentile(creates.latencies, 99), 2), goal: '≤ 25' },
          { metric: `status p99 at ${POLLS_PER_SECOND} polls/s (ms)`, value: round(percentile(polls.latencies, 99), 2), goal: '≤ 10' },
          { metric: 'lost (not succeeded)', value: ids.length - stats.succeeded, goal: '0' },
          { metric: 'charged twice', value: doubles, goal: '0' },
          { metric: 'balance = ledger sum', value: summary.balance === summary.ledgerSum, goal: 'true' },
        ],
        errors: { create: creates.errors, status: polls.errors },
        slowest: { create: creates.slowest, status: polls.slowest },
        note: `create and status are measured at the JobService (in-process, Postgres + Redis), without HTTP, after ${WARM_UP_CREATES} untimed creates.`,
      };
    } finally {
      await app.close();
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      redis.disconnect();
    }
  },
};
