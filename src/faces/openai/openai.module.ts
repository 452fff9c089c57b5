import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorEnvelopes } from '../../common/errors/error-envelopes';
import { JobsModule } from '../../jobs/jobs.module';
import { OpenAiErrorEnvelope } from './openai-error.envelope';
import { OpenAiSpeechController } from './openai-speech.controller';
import { OpenAiSpeechService } from './openai-speech.service';

/** The OpenAI-compatible face: synchronous `/v1/audio/speech`, whole or streamed, with OpenAI's errors. */
@Module({
  imports: [JobsModule],
  controllers: [OpenAiSpeechController],
  providers: [OpenAiSpeechService],
})
export class OpenAiModule implements OnModuleInit {
  constructor(private readonly envelopes: ErrorEnvelopes) {}

  onModuleInit(): void {
    this.envelopes.register(new OpenAiErrorEnvelope());
  }
}
