import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module';
import { AudioPipeline } from '../audio/audio-pipeline';
import { AppConfig } from '../config/app-config';
import { espeakSessions } from '../espeak/espeak-sessions';
import { UpstreamHttpClient } from './http/upstream-http.client';
import { buildProviders } from './provider-factory';
import { ProviderRegistry } from './provider.registry';
import { TTS_PROVIDERS, TtsProvider } from './tts-provider';
import { VitsModule } from './vits/vits.module';
import { VitsProvider } from './vits/vits.provider';

/** Closes upstream keep-alive sockets and eSpeak's threads so a stopping process does not linger. */
@Injectable()
class ProviderResources implements OnApplicationShutdown {
  constructor(
    private readonly http: UpstreamHttpClient,
    @Inject(TTS_PROVIDERS) private readonly providers: TtsProvider[],
  ) {}

  async onApplicationShutdown(): Promise<void> {
    this.http.close();
    // Shared by the eSpeak provider and VITS's phonemization; a later call would start new sessions.
    espeakSessions.close();
    // VITS closes its own pool (it is a Nest provider of VitsModule).
    const closable = this.providers.filter(
      (provider) => provider.kind !== 'vits' && typeof (provider as { close?: unknown }).close === 'function',
    );
    await Promise.all(closable.map((provider) => (provider as unknown as { close(): Promise<void> }).close()));
  }
}

/** Every TTS backend of providers.yaml behind TTS_PROVIDERS and the ProviderRegistry. */
@Module({
  imports: [VitsModule, AudioModule],
  providers: [
    { provide: UpstreamHttpClient, useFactory: (config: AppConfig) => new UpstreamHttpClient(config.providers.http), inject: [AppConfig] },
    {
      provide: TTS_PROVIDERS,
      useFactory: (config: AppConfig, http: UpstreamHttpClient, vits: VitsProvider, pipeline: AudioPipeline) =>
        buildProviders(
          config,
          { http, canDecodeCompressed: () => pipeline.canDecodeCompressed() },
          new Map<string, TtsProvider>([[vits.id, vits]]),
        ),
      inject: [AppConfig, UpstreamHttpClient, VitsProvider, AudioPipeline],
    },
    ProviderRegistry,
    ProviderResources,
  ],
  exports: [TTS_PROVIDERS, ProviderRegistry, UpstreamHttpClient, AudioModule],
})
export class ProvidersModule {}
