import type { AudioContainer } from '../../audio/audio-decoder';
import { ProvidersConfig, UpstreamResponseFormat } from '../../config/providers.config';
import type { ProviderRequest } from '../tts-provider';
import { AskedEncoding, clampSpeed } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/** The file each compressed `response_format` comes in. */
const CONTAINERS: Record<Exclude<UpstreamResponseFormat, 'wav' | 'pcm'>, AudioContainer> = { mp3: 'mp3', opus: 'ogg', aac: 'aac', flac: 'flac' };

/**
 * Any upstream speaking OpenAI's `POST /v1/audio/speech` (OpenAI, Kokoro-FastAPI, openedai-speech,
 * LiteLLM, Bifrost). Asked for `wav` (default) or `pcm` (16-bit LE mono at `pcm_sample_rate`, 24 kHz
 * for OpenAI), which need no decoder; mp3, opus, aac or flac only for upstreams that offer nothing else.
 */
export class OpenAiCompatibleProvider extends UpstreamProvider {
  readonly kind = 'openai-compatible' as const;

  protected get askedEncoding(): AskedEncoding {
    const format = ProvidersConfig.responseFormat(this.entry);
    if (format === 'wav') return { kind: 'wav' };
    if (format === 'pcm') return { kind: 'pcm', sampleRate: this.entry.pcm_sample_rate };
    return { kind: 'compressed', format, container: CONTAINERS[format] };
  }

  protected buildCall(request: ProviderRequest): UpstreamCall {
    const body: Record<string, unknown> = {
      model: this.upstreamModel(request.model) ?? 'tts-1',
      input: request.text,
      voice: this.upstreamVoice(request.voice),
      response_format: ProvidersConfig.responseFormat(this.entry),
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
