import type { AudioDecoder } from '../../audio/audio-decoder';
import { ProviderEntry, ProvidersConfig, UpstreamResponseFormat } from '../../config/providers.config';
import type {
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderHealth,
  ProviderRequest,
  SynthesizedAudio,
  TtsProvider,
} from '../tts-provider';
import { AskedEncoding, askedEncodingFor, readUpstreamAudio } from './upstream-audio';
import type { UpstreamHttpClient, UpstreamResponse } from './upstream-http.client';
import { UpstreamError } from './upstream-error';

/** What a subclass asks of its upstream; the base adds the URL, JSON encoding and the request id. */
export interface UpstreamCall {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Providers that can tell, without a network call, that they cannot serve anything (no key configured). */
export interface ReportsAvailability {
  /** Why the provider cannot be used at all, or undefined when it can. */
  unavailableReason(): string | undefined;
}

export function reportsAvailability(provider: TtsProvider): provider is TtsProvider & ReportsAvailability {
  return typeof (provider as Partial<ReportsAvailability>).unavailableReason === 'function';
}

/**
 * What every HTTP upstream shares: its config entry, its key, the shared client, model/voice mapping.
 * Subclasses only build the request and read the answer (Portkey's declarative-mapping idea).
 */
export abstract class UpstreamProvider implements TtsProvider, ReportsAvailability {
  abstract readonly kind: 'openai-compatible' | 'elevenlabs-compatible' | 'sauti';

  constructor(
    protected readonly entry: ProviderEntry,
    protected readonly apiKey: string | undefined,
    protected readonly http: UpstreamHttpClient,
    protected readonly decoder: AudioDecoder,
  ) {
    this.responseFormat = ProvidersConfig.responseFormat(entry);
    this.askedEncoding = askedEncodingFor(this.responseFormat, entry.pcm_sample_rate);
  }

  /** What this upstream is asked to send, fixed by its configuration. */
  protected readonly responseFormat: UpstreamResponseFormat;
  protected readonly askedEncoding: AskedEncoding;

  get id(): string {
    return this.entry.id;
  }

  capabilities(): ProviderCapabilities {
    return { voices: ['*'], maxTextLength: this.entry.max_text_length };
  }

  /** Any voice name is passed through; a model must be one the config lists (or any, if it lists none). */
  supports(_voice: string, model?: string): boolean {
    const models = this.entry.models;
    if (model === undefined || models.length === 0 || models.includes('*')) return true;
    return models.includes(model) || model in this.entry.model_map;
  }

  unavailableReason(): string | undefined {
    if (!this.entry.base_url) return 'no base_url configured';
    if (this.entry.api_key_env && !this.apiKey) return `environment variable ${this.entry.api_key_env} is not set`;
    const asked = this.askedEncoding;
    if (asked.kind === 'compressed' && !this.decoder.canDecodeCompressed()) {
      return `response_format ${asked.format} needs ffmpeg to decode the upstream's audio, and this deployment has none (set FFMPEG_PATH, or ask for wav or pcm)`;
    }
    return undefined;
  }

  async checkHealth(): Promise<ProviderHealth> {
    const reason = this.unavailableReason();
    return reason
      ? { status: 'down', detail: reason }
      : { status: 'up', detail: `upstream ${new URL(this.entry.base_url as string).origin}` };
  }

  async synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<SynthesizedAudio> {
    const reason = this.unavailableReason();
    if (reason) throw new UpstreamError('provider_unavailable', `${this.id} is not configured: ${reason}`, false, { provider: this.id });
    const call = this.buildCall(request);
    const response = await this.http.send({
      provider: this.id,
      url: `${(this.entry.base_url as string).replace(/\/+$/, '')}${call.path}`,
      headers: { 'content-type': 'application/json', 'x-request-id': options.requestId, ...call.headers },
      body: JSON.stringify(call.body),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return this.readAudio(response, options);
  }

  protected upstreamModel(model: string | undefined): string | undefined {
    const chosen = model ?? this.entry.default_model;
    return chosen === undefined ? undefined : (this.entry.model_map[chosen] ?? chosen);
  }

  protected upstreamVoice(voice: string): string {
    return this.entry.voice_map[voice] ?? voice;
  }

  /** Reads the answer as `askedEncoding` says, decoding whatever file the upstream actually sent. */
  protected readAudio(response: UpstreamResponse, options: ProviderCallOptions): Promise<SynthesizedAudio> | SynthesizedAudio {
    return readUpstreamAudio(this.id, response, this.askedEncoding, this.decoder, options);
  }

  protected abstract buildCall(request: ProviderRequest): UpstreamCall;
}
