import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorEnvelopes } from '../../common/errors/error-envelopes';
import { JobsModule } from '../../jobs/jobs.module';
import { ElevenLabsAccountController } from './elevenlabs-account.controller';
import { ElevenLabsErrorEnvelope } from './elevenlabs-error.envelope';
import { ElevenLabsFallbackController } from './elevenlabs-fallback.controller';
import { ElevenLabsSpeechService } from './elevenlabs-speech.service';
import { ElevenLabsTextToSpeechController } from './elevenlabs-text-to-speech.controller';
import { ElevenLabsVoicesController } from './elevenlabs-voices.controller';

/**
 * The ElevenLabs-compatible face under /elevenlabs: the official ElevenLabs SDKs work with
 * `baseUrl: https://host/elevenlabs` (docs/elevenlabs-api.md). The fallback controller comes last.
 */
@Module({
  imports: [JobsModule],
  controllers: [ElevenLabsTextToSpeechController, ElevenLabsVoicesController, ElevenLabsAccountController, ElevenLabsFallbackController],
  providers: [ElevenLabsSpeechService],
})
export class ElevenLabsModule implements OnModuleInit {
  constructor(private readonly envelopes: ErrorEnvelopes) {}

  onModuleInit(): void {
    this.envelopes.register(new ElevenLabsErrorEnvelope());
  }
}
