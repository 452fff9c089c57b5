import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorEnvelopes } from '../../common/errors/error-envelopes';
import { JobsModule } from '../../jobs/jobs.module';
import { BifrostErrorEnvelope } from './bifrost-error.envelope';
import { BifrostJobPresenter } from './bifrost-job.presenter';
import { BifrostSpeechController } from './bifrost-speech.controller';
import { BifrostSpeechService } from './bifrost-speech.service';

/** The Bifrost face: async speech jobs with Bifrost's paths, status words, TTL header and BifrostError. */
@Module({
  imports: [JobsModule],
  controllers: [BifrostSpeechController],
  providers: [BifrostSpeechService, BifrostJobPresenter],
})
export class BifrostModule implements OnModuleInit {
  constructor(private readonly envelopes: ErrorEnvelopes) {}

  onModuleInit(): void {
    this.envelopes.register(new BifrostErrorEnvelope());
  }
}
