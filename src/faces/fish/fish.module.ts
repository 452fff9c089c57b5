import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorEnvelopes } from '../../common/errors/error-envelopes';
import { JobsModule } from '../../jobs/jobs.module';
import { FishAudioLinkSigner } from './fish-audio-link.signer';
import { FishCreateTaskPipe } from './fish-create-task.pipe';
import { FishErrorEnvelope } from './fish-error.envelope';
import { FishProfileController } from './fish-profile.controller';
import { FishRequestMapper } from './fish-request.mapper';
import { FishTasksController } from './fish-tasks.controller';
import { FishTasksService } from './fish-tasks.service';

/** The Fish-style async task API under /api/open (docs/fish-api.md). */
@Module({
  imports: [JobsModule],
  controllers: [FishTasksController, FishProfileController],
  providers: [FishTasksService, FishRequestMapper, FishAudioLinkSigner, FishCreateTaskPipe],
})
export class FishModule implements OnModuleInit {
  constructor(private readonly envelopes: ErrorEnvelopes) {}

  onModuleInit(): void {
    this.envelopes.register(new FishErrorEnvelope());
  }
}
