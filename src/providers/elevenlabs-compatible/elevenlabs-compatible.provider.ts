import type { ProviderRequest, SynthesizedAudio } from '../tts-provider';
import { audioFromPcm16, clampSpeed } from '../http/upstream-audio';
import type { UpstreamResponse } from '../http/upstream-http.client';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/** The `output_format` values that mean raw 16-bit LE PCM, keyed by their rate. */
const PCM_OUTPUT_FORMATS: Record<number, string> = { 16000: 'pcm_16000', 22050: 'pcm_22050', 24000: 'pcm_24000', 44100: 'pcm_44100' };

/**
 * Any upstream speaking ElevenLabs' `POST /v1/text-to-speech/{voice_id}?output_format=pcm_<rate>`
 * with `xi-api-key`; the answer is raw 16-bit little-endian PCM at that rate.
 */
export class ElevenLabsCompatibleProvider extends UpstreamProvider {
  readonly kind = 'elevenlabs-compatible' as const;

  private get outputRate(): number {
    return PCM_OUTPUT_FORMATS[this.entry.pcm_sample_rate] ? this.entry.pcm_sample_rate : 16000;
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
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}?output_format=${PCM_OUTPUT_FORMATS[this.outputRate]}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body,
    };
  }

  protected readAudio(response: UpstreamResponse): SynthesizedAudio {
    return audioFromPcm16(this.id, response.body, this.outputRate);
  }
}
