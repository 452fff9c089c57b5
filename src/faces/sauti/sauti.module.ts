import { Module, OnModuleInit } from '@nestjs/common';
import { ErrorEnvelopes } from '../../common/errors/error-envelopes';
import { AppConfig } from '../../config/app-config';
import { JobsModule } from '../../jobs/jobs.module';
import { SautiErrorEnvelope } from './sauti-error.envelope';
import { SautiFallbackController } from './sauti-fallback.controller';
import { SautiJobsController } from './sauti-jobs.controller';
import { SautiSynthesisService } from './sauti-synthesis.service';
import { SautiTextToSpeechController } from './sauti-text-to-speech.controller';
import { SautiVoicesController } from './sauti-voices.controller';
import { SautiWebhooksController } from './sauti-webhooks.controller';
import { SautiKeysController } from './sauti-keys.controller';
import { SautiUsageController } from './sauti-usage.controller';
import { WebhooksModule } from '../../webhooks/webhooks.module';

/** The Sauti API face: /v1/text-to-speech, /v1/tts/jobs, /v1/voices, /v1/webhooks, /v1/usage, /v1/keys, with RFC 7807 errors. */
@Module({
  imports: [JobsModule, WebhooksModule],
  // The fallback controller must stay last: it answers only what the others did not match.
  controllers: [
    SautiTextToSpeechController,
    SautiJobsController,
    SautiVoicesController,
    SautiWebhooksController,
    SautiUsageController,
    SautiKeysController,
    SautiFallbackController,
  ],
  providers: [SautiSynthesisService],
})
export class SautiModule implements OnModuleInit {
  constructor(
    private readonly envelopes: ErrorEnvelopes,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.envelopes.register(new SautiErrorEnvelope(this.config.http.publicBaseUrl));
  }
}
