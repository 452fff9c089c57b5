import type { OutputSpec } from '../../audio/audio-stream';
import type { FieldSupport, ProviderRequest } from '../tts-provider';
import { clampSpeed, UpstreamAsk } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/**
 * Any upstream speaking OpenAI's `POST /v1/audio/speech` (OpenAI, Kokoro-FastAPI, openedai-speech,
 * LiteLLM, Bifrost). A client's mp3, opus, aac, flac, or wav and pcm at `pcm_sample_rate` (24 kHz for
 * OpenAI) is asked for as such and passed through; anything else is asked as `response_format`
 * (wav or pcm by default, which need no decoder) and converted.
 */
export class OpenAiCompatibleProvider extends UpstreamProvider {
  readonly kind = 'openai-compatible' as const;
  protected readonly fields: FieldSupport = { voice: true, speed: [0.25, 4], instructions: true, language: false };

  protected nativeAsk(output: OutputSpec): UpstreamAsk | undefined {
    if (!this.offersNatively(output.format)) return undefined;
    const raw = output.format === 'pcm' || output.format === 'wav';
    // Raw answers come at the upstream's one rate; files carry theirs, unknown until they arrive.
    if (raw ? output.sampleRate !== this.entry.pcm_sample_rate : output.exactRate) return undefined;
    return { format: output.format, sampleRate: raw ? this.entry.pcm_sample_rate : output.sampleRate };
  }

  protected transcodeAsk(): UpstreamAsk {
    return { format: this.responseFormat, sampleRate: this.entry.pcm_sample_rate };
  }

  protected buildCall(request: ProviderRequest, ask: UpstreamAsk): UpstreamCall {
    const body: Record<string, unknown> = {
      model: this.upstreamModel(request.model) ?? 'tts-1',
      input: request.text,
      voice: this.upstreamVoice(request.voice),
      response_format: ask.format,
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
