import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AudioEncoder } from '../audio/audio-encoder';
import { AppConfig } from '../config/app-config';
import { MetricsModule } from '../metrics/metrics.module';
import { StorageModule } from '../storage/storage.module';
import { RoutingModule } from '../synthesis/routing/routing.module';
import { SynthesisService } from '../synthesis/synthesis.service';
import { JobService } from './job.service';
import { SYNTHESIS_QUEUE } from './queue-names';
import { MaintenanceRunRepository } from './maintenance-run.repository';
import { SynthesisJobRepository } from './synthesis-job.repository';

const QUEUES = BullModule.registerQueue({ name: SYNTHESIS_QUEUE });

/** Synthesis (sync) and job creation/reading: what the api's faces use. No processors here. */
@Module({
  imports: [RoutingModule, StorageModule, MetricsModule, QUEUES],
  providers: [
    { provide: AudioEncoder, useFactory: (config: AppConfig) => new AudioEncoder(config.ffmpeg), inject: [AppConfig] },
    SynthesisService,
    SynthesisJobRepository,
    MaintenanceRunRepository,
    JobService,
  ],
  exports: [
    AudioEncoder,
    SynthesisService,
    SynthesisJobRepository,
    MaintenanceRunRepository,
    JobService,
    RoutingModule,
    StorageModule,
    QUEUES,
  ],
})
export class JobsModule {}
