import { Module } from '@nestjs/common';
import { JobHealthChecks } from './job.health';
import { JobMetrics } from './job.metrics';
import { JobsModule } from './jobs.module';

/**
 * The api's view of every worker's jobs: job metrics read at scrape time and the queue and worker
 * readiness entries. Api only: in a worker they would run the same deployment-wide queries again for
 * each report, and /metrics would show them once per worker.
 */
@Module({
  imports: [JobsModule],
  providers: [JobHealthChecks, JobMetrics],
})
export class JobsApiModule {}
