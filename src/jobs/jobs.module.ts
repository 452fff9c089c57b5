import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { StorageModule } from '../storage/storage.module';
import { RoutingModule } from '../synthesis/routing/routing.module';
import { AudioCache } from '../synthesis/cache/audio-cache';
import { AudioCacheMetrics } from '../synthesis/cache/audio-cache.metrics';
import { AudioCacheRepository } from '../synthesis/cache/audio-cache.repository';
import { RequestBilling } from '../synthesis/request-billing';
import { SpeechService } from '../synthesis/speech.service';
import { JobService } from './job.service';
import { SYNTHESIS_QUEUE } from './queue-names';
import { MaintenanceRunRepository } from './maintenance-run.repository';
import { SynthesisJobRepository } from './synthesis-job.repository';

const QUEUES = BullModule.registerQueue({ name: SYNTHESIS_QUEUE });

/** The speech use case (sync, streamed, jobs) and job creation/reading: what the faces use. No processors here. */
@Module({
  imports: [RoutingModule, StorageModule, MetricsModule, QUEUES],
  providers: [
    SpeechService,
    RequestBilling,
    AudioCache,
    AudioCacheRepository,
    AudioCacheMetrics,
    SynthesisJobRepository,
    MaintenanceRunRepository,
    JobService,
  ],
  exports: [SpeechService, AudioCache, SynthesisJobRepository, MaintenanceRunRepository, JobService, RoutingModule, StorageModule, QUEUES],
})
export class JobsModule {}
