import { ProvidersConfig } from '../../config/providers.config';
import type { ProviderRequest } from '../tts-provider';
import { AskedEncoding, clampSpeed } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/** ElevenLabs' default output format, offered on every plan. */
const MP3_OUTPUT_FORMAT = 'mp3_44100_128';

/**
 * Any upstream speaking ElevenLabs' `POST /v1/text-to-speech/{voice_id}?output_format=…` with
 * `xi-api-key`. Asked for `pcm_<pcm_sample_rate>` (raw 16-bit little-endian PCM, the default) or, for
 * a clone that offers nothing else, `mp3_44100_128` (decoded with ffmpeg).
 */
export class ElevenLabsCompatibleProvider extends UpstreamProvider {
  readonly kind = 'elevenlabs-compatible' as const;

  protected get askedEncoding(): AskedEncoding {
    return ProvidersConfig.responseFormat(this.entry) === 'mp3' ? { kind: 'compressed', format: 'mp3', container: 'mp3' } : { kind: 'pcm', sampleRate: this.entry.pcm_sample_rate };
  }

  protected buildCall(request: ProviderRequest): UpstreamCall {
    const body: Record<string, unknown> = {
      text: request.text,
      voice_settings: { speed: clampSpeed(request.settings.speakingRate, 0.7, 1.2) },
    };
    const model = this.upstreamModel(request.model);
    if (model) body.model_id = model;
    if (request.language) body.language_code = request.language;
    const outputFormat = this.askedEncoding.kind === 'pcm' ? `pcm_${this.entry.pcm_sample_rate}` : MP3_OUTPUT_FORMAT;
    return {
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}?output_format=${outputFormat}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body,
    };
  }
}
