import type { ProviderRequest } from '../tts-provider';
import { clampSpeed } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/**
 * Any upstream speaking OpenAI's `POST /v1/audio/speech` (OpenAI, Kokoro-FastAPI, openedai-speech,
 * LiteLLM, Bifrost). Asked for `wav` (default) or `pcm` (16-bit LE mono at `pcm_sample_rate`, 24 kHz
 * for OpenAI), which need no decoder; mp3, opus, aac or flac only for upstreams that offer nothing else.
 */
export class OpenAiCompatibleProvider extends UpstreamProvider {
  readonly kind = 'openai-compatible' as const;

  protected buildCall(request: ProviderRequest): UpstreamCall {
    const body: Record<string, unknown> = {
      model: this.upstreamModel(request.model) ?? 'tts-1',
      input: request.text,
      voice: this.upstreamVoice(request.voice),
      response_format: this.responseFormat,
      speed: clampSpeed(request.settings.speakingRate, 0.25, 4),
    };
    if (request.instructions) body.instructions = request.instructions;
    return {
      path: '/v1/audio/speech',
      headers: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
      body,
    };
  }
}
