import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { MetricsRegistry } from '../metrics/metrics.registry';
import { SYNTHESIS_QUEUE } from './queue-names';
import { SynthesisJobRepository } from './synthesis-job.repository';

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
    private readonly jobs: SynthesisJobRepository,
  ) {}

  onModuleInit(): void {
    const queue = this.queue;
    const jobs = this.jobs;
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
        const counts = await jobs.countsByStatus().catch(() => ({}) as Record<string, number>);
        for (const status of ['queued', 'running', 'succeeded', 'failed', 'expired']) this.set({ status }, counts[status] ?? 0);
      },
    });
    this.metrics.gauge({
      name: 'tts_job_oldest_queued_age_seconds',
      help: 'Age of the oldest job still queued (0 when none)',
      async collect() {
        this.set(await jobs.oldestQueuedAgeSeconds().catch(() => 0));
      },
    });
    this.metrics.gauge({
      name: 'tts_job_seconds',
      help: `Queue wait and run time of jobs finished in the last ${WINDOW_MINUTES} minutes, by quantile`,
      labelNames: ['phase', 'quantile'],
      async collect() {
        const quantiles = await jobs.timingQuantiles(WINDOW_MINUTES).catch(() => ({ wait: null, run: null }));
        for (const phase of ['wait', 'run'] as const) {
          const [p50, p95] = quantiles[phase] ?? [0, 0];
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
        for (const { code, count } of await jobs.recentFailuresByCode(WINDOW_MINUTES).catch(() => [])) this.set({ code }, count);
      },
    });
  }
}
