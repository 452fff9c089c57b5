import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { HealthRegistry } from '../health/health-registry';
import type { ReadinessReport } from '../health/readiness-check';
import { AppConfig } from '../config/app-config';
import { MAINTENANCE_TASK, MaintenanceRunRepository } from './maintenance-run.repository';
import { SYNTHESIS_QUEUE } from './queue-names';
import { WorkerReports } from './worker-reports';

/** `/health/ready` entries for the synthesis queue, the worker processes' heartbeats and the job maintenance. */
@Injectable()
export class JobHealthChecks implements OnModuleInit {
  constructor(
    private readonly registry: HealthRegistry,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue,
    private readonly workers: WorkerReports,
    private readonly config: AppConfig,
    private readonly runs: MaintenanceRunRepository,
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
    this.registry.register({ key: 'maintenance', critical: false, check: () => this.maintenance() });
  }

  /**
   * When the job maintenance last ran, and where. Silence for three intervals means expired results
   * are kept, stuck jobs are not failed and jobs Redis lost are not relayed: reported, never a 503.
   */
  private async maintenance(): Promise<ReadinessReport> {
    const last = await this.runs.lastRun(MAINTENANCE_TASK);
    const windowSeconds = Math.round((3 * this.config.jobs.maintenanceIntervalMs) / 1000);
    const lastRound = last && { lastRoundAt: last.startedAt.toISOString(), by: last.startedBy, ageSeconds: Math.round(last.ageSeconds) };
    if (last && last.ageSeconds <= windowSeconds) return { status: 'up', ...lastRound };
    return {
      status: 'degraded',
      ...lastRound,
      message: `No job maintenance round in the last ${windowSeconds} s: expired results stay, stuck jobs are not failed and jobs lost by Redis are not relayed until a worker runs (npm run start:worker).`,
    };
  }
}
