import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { SYNTHESIS_QUEUE } from './queue-names';

/** Look-back window for the wait/run quantiles and the failure count. */
const WINDOW_MINUTES = 15;

/**
 * Job metrics for the api's `/metrics`, read at scrape time from the queue and from Postgres, which
 * sees every worker's jobs: queue depth, jobs by status, oldest queued age, wait and run time
 * quantiles and failures over the last 15 minutes.
 */
@Injectable()
export class JobMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsRegistry,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    const dataSource = this.dataSource;
    this.metrics.gauge({
      name: 'tts_queue_jobs',
      help: 'BullMQ synthesis queue jobs by state',
      labelNames: ['state'],
      async collect() {
        const counts = await queue
          .getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
          .catch(() => ({}) as Record<string, number>);
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });
    this.metrics.gauge({
      name: 'tts_jobs',
      help: 'Synthesis jobs in Postgres by status',
      labelNames: ['status'],
      async collect() {
        const rows = await dataSource.query(`SELECT status, count(*)::int AS n FROM synthesis_jobs GROUP BY status`).catch(() => []);
        for (const status of ['queued', 'running', 'succeeded', 'failed', 'expired'])
          this.set({ status }, rows.find((r: { status: string }) => r.status === status)?.n ?? 0);
      },
    });
    this.metrics.gauge({
      name: 'tts_job_oldest_queued_age_seconds',
      help: 'Age of the oldest job still queued (0 when none)',
      async collect() {
        const rows = await dataSource
          .query(`SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS age FROM synthesis_jobs WHERE status = 'queued'`)
          .catch(() => [{ age: 0 }]);
        this.set(Number(rows[0].age));
      },
    });
    this.metrics.gauge({
      name: 'tts_job_seconds',
      help: `Queue wait and run time of jobs finished in the last ${WINDOW_MINUTES} minutes, by quantile`,
      labelNames: ['phase', 'quantile'],
      async collect() {
        const rows = await dataSource
          .query(
            `SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM started_at - created_at)) AS wait,
                    percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - started_at)) AS run
               FROM synthesis_jobs WHERE completed_at > now() - make_interval(mins => $1) AND started_at IS NOT NULL`,
            [WINDOW_MINUTES],
          )
          .catch(() => [{}]);
        for (const phase of ['wait', 'run'] as const) {
          const [p50, p95] = (rows[0][phase] as number[] | null) ?? [0, 0];
          this.set({ phase, quantile: '0.5' }, p50);
          this.set({ phase, quantile: '0.95' }, p95);
        }
      },
    });
    this.metrics.gauge({
      name: 'tts_job_failures_recent',
      help: `Jobs failed in the last ${WINDOW_MINUTES} minutes, by error code`,
      labelNames: ['code'],
      async collect() {
        this.reset();
        const rows = await dataSource
          .query(
            `SELECT error_code, count(*)::int AS n FROM synthesis_jobs WHERE status = 'failed' AND completed_at > now() - make_interval(mins => $1) GROUP BY error_code`,
            [WINDOW_MINUTES],
          )
          .catch(() => []);
        for (const row of rows as Array<{ error_code: string; n: number }>) this.set({ code: row.error_code }, row.n);
      },
    });
  }
}
