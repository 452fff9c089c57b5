import { Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AudioPipeline } from './audio-pipeline';

/** Stops the ffmpeg processes started ahead, so a stopping process does not linger. */
@Injectable()
class AudioPipelineShutdown implements OnApplicationShutdown {
  constructor(@Inject(AudioPipeline) private readonly pipeline: AudioPipeline) {}

  onApplicationShutdown(): void {
    this.pipeline.close();
  }
}

/** The one audio pipeline of a process (its ffmpeg location comes from configuration). */
@Module({
  providers: [
    { provide: AudioPipeline, useFactory: (config: AppConfig) => new AudioPipeline(config.ffmpeg), inject: [AppConfig] },
    AudioPipelineShutdown,
  ],
  exports: [AudioPipeline],
})
export class AudioModule {}
