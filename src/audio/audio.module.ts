import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { AudioPipeline } from './audio-pipeline';

/** Stops the ffmpeg processes started ahead, so a stopping process does not linger. */
@Injectable()
class AudioPipelineShutdown implements OnApplicationShutdown {
  constructor(@Inject(AudioPipeline) private readonly pipeline: AudioPipeline) {}

  onApplicationShutdown(): void {
    this.pipeline.close();
  }
}

/** The one audio pipeline of a process (its ffmpeg location and mp3 encoder come from configuration). */
@Module({
  providers: [
    {
      provide: AudioPipeline,
      useFactory: (config: AppConfig, logger?: RootLogger) => {
        const pipeline = new AudioPipeline(config.ffmpeg, config.mp3Encoder);
        const mp3Encoder = pipeline.mp3Encoder();
        logger?.pino.info({ mp3Encoder }, `mp3 is encoded by ${mp3Encoder}`);
        return pipeline;
      },
      // Optional: a context of the routing module alone (tests, benches) has no logger.
      inject: [AppConfig, { token: RootLogger, optional: true }],
    },
    AudioPipelineShutdown,
  ],
  exports: [AudioPipeline],
})
export class AudioModule {}
