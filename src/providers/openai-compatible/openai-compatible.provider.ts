import type { ProviderRequest, SynthesizedAudio } from '../tts-provider';
import { audioFromPcm16, audioFromWav, clampSpeed } from '../http/upstream-audio';
import type { UpstreamResponse } from '../http/upstream-http.client';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/**
 * Any upstream speaking OpenAI's `POST /v1/audio/speech` (OpenAI, Kokoro-FastAPI, openedai-speech,
 * LiteLLM, Bifrost). Asked for `wav`, or `pcm` (16-bit LE mono at `pcm_sample_rate`, 24 kHz for OpenAI),
 * so no decoder beyond our own is needed.
 */
export class OpenAiCompatibleProvider extends UpstreamProvider {
  readonly kind = 'openai-compatible' as const;

  protected buildCall(request: ProviderRequest): UpstreamCall {
    const body: Record<string, unknown> = {
      model: this.upstreamModel(request.model) ?? 'tts-1',
      input: request.text,
      voice: this.upstreamVoice(request.voice),
      response_format: this.entry.response_format,
      speed: clampSpeed(request.settings.speakingRate, 0.25, 4),
    };
    if (request.instructions) body.instructions = request.instructions;
    return {
      path: '/v1/audio/speech',
      headers: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
      body,
    };
  }

  protected readAudio(response: UpstreamResponse): SynthesizedAudio {
    return this.entry.response_format === 'wav' ? audioFromWav(this.id, response.body) : audioFromPcm16(this.id, response.body, this.entry.pcm_sample_rate);
  }
}
