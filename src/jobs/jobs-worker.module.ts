import { Module } from '@nestjs/common';
import { JobMaintenance } from './job-maintenance';
import { JobMaintenanceScheduler } from './job-maintenance.scheduler';
import { JobOutcomes } from './job-outcomes';
import { JobWorkers } from './job-workers';
import { JobsModule } from './jobs.module';
import { WebhooksWorkerModule } from '../webhooks/webhooks-worker.module';
import { SynthesisJobProcessor } from './synthesis-job.processor';
import { WorkerHeartbeatService } from './worker-heartbeat.service';

/** The worker process's side of jobs: the processor, housekeeping, the heartbeat, and the webhooks of finished jobs. */
@Module({
  imports: [JobsModule, WebhooksWorkerModule],
  providers: [JobOutcomes, SynthesisJobProcessor, JobMaintenance, JobMaintenanceScheduler, JobWorkers, WorkerHeartbeatService],
  exports: [JobMaintenance, JobOutcomes, JobMaintenanceScheduler],
})
export class JobsWorkerModule {}
