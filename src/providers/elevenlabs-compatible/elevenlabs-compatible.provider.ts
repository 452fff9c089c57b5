import type { ProviderRequest } from '../tts-provider';
import { clampSpeed } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/** The `output_format` asked for each compressed format: ElevenLabs' default mp3, and speech-sized opus. */
const COMPRESSED_OUTPUT_FORMATS = { mp3: 'mp3_44100_128', opus: 'opus_48000_64' } as const;

/**
 * Any upstream speaking ElevenLabs' `POST /v1/text-to-speech/{voice_id}?output_format=…` with
 * `xi-api-key`. Asked for `pcm_<pcm_sample_rate>` (raw 16-bit little-endian PCM, the default) or, for
 * a clone that offers nothing else, `mp3_44100_128` or `opus_48000_64` (decoded with ffmpeg).
 */
export class ElevenLabsCompatibleProvider extends UpstreamProvider {
  readonly kind = 'elevenlabs-compatible' as const;

  private get outputFormat(): string {
    const format = this.responseFormat;
    return format === 'mp3' || format === 'opus' ? COMPRESSED_OUTPUT_FORMATS[format] : `pcm_${this.entry.pcm_sample_rate}`;
  }

  protected buildCall(request: ProviderRequest): UpstreamCall {
    const body: Record<string, unknown> = {
      text: request.text,
      voice_settings: { speed: clampSpeed(request.settings.speakingRate, 0.7, 1.2) },
    };
    const model = this.upstreamModel(request.model);
    if (model) body.model_id = model;
    if (request.language) body.language_code = request.language;
    return {
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}?output_format=${this.outputFormat}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body,
    };
  }
}
