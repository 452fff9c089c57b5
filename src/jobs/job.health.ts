import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { HealthRegistry } from '../health/health-registry';
import type { ReadinessReport } from '../health/readiness-check';
import { AppConfig } from '../config/app-config';
import { SYNTHESIS_QUEUE } from './queue-names';
import { WorkerReports } from './worker-reports';

/** `/health/ready` entries for the synthesis queue and the worker processes' heartbeats. */
@Injectable()
export class JobHealthChecks implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue,
    private readonly workers: WorkerReports,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      key: 'queue',
      critical: false,
      check: async (): Promise<ReadinessReport> => {
        const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
        return { status: 'up', name: SYNTHESIS_QUEUE, ...counts };
      },
    });
    this.registry.register({
      key: 'workers',
      critical: false,
      check: async (): Promise<ReadinessReport> => {
        const workers = await this.workers.heartbeats();
        const window = Math.round((3 * this.config.jobs.workerReportIntervalMs) / 1000);
        return workers.length > 0
          ? { status: 'up', count: workers.length, workers: workers.map(({ workerId, pid, at }) => ({ workerId, pid, at })) }
          : {
              status: 'degraded',
              count: 0,
              message: `No worker process has reported in the last ${window} s: async jobs wait until one runs (npm run start:worker).`,
            };
      },
    });
  }
}
