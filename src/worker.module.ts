import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from './config/app-config';
import { CoreModule } from './core.module';
import { BullmqRootModule } from './jobs/bullmq-root.module';
import { JobsWorkerModule } from './jobs/jobs-worker.module';
import { MetricsHistoryModule } from './metrics/metrics-history.recorder';

/** The worker process: BullMQ processors, outbox relay and sweeper. No HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [CoreModule.forRoot(config), BullmqRootModule.forRole('worker'), JobsWorkerModule, MetricsHistoryModule],
    };
  }
}
