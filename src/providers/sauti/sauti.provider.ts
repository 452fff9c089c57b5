import type { ProviderRequest, SynthesizedAudio } from '../tts-provider';
import { audioFromWav, unreadable } from '../http/upstream-audio';
import type { UpstreamResponse } from '../http/upstream-http.client';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/**
 * Another instance of this service (or the original Sauti API): `POST /v1/text-to-speech/{voice_id}`
 * with `xi-api-key` and Sauti `voice_settings`; the answer is JSON carrying a base64 WAV.
 */
export class SautiProvider extends UpstreamProvider {
  readonly kind = 'sauti' as const;

  protected buildCall(request: ProviderRequest): UpstreamCall {
    return {
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body: {
        text: request.text,
        voice_settings: {
          speaking_rate: request.settings.speakingRate,
          noise_scale: request.settings.noiseScale,
          noise_scale_duration: request.settings.noiseScaleDuration,
        },
      },
    };
  }

  protected override readAudio(response: UpstreamResponse): SynthesizedAudio {
    let encoded: unknown;
    try {
      encoded = (JSON.parse(response.body.toString('utf8')) as { audio_base64?: unknown }).audio_base64;
    } catch (error) {
      throw unreadable(this.id, 'the answer is not JSON', error);
    }
    if (typeof encoded !== 'string' || encoded === '') throw unreadable(this.id, 'the answer has no audio_base64');
    return audioFromWav(this.id, Buffer.from(encoded, 'base64'));
  }
}
