import type { AudioFormat } from '../../audio/audio-format';
import type { AudioStream, OutputSpec } from '../../audio/audio-stream';
import { ProviderEntry, ProvidersConfig, UpstreamResponseFormat } from '../../config/providers.config';
import type {
  AudioIdentity,
  FieldSupport,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderHealth,
  ProviderRequest,
  TtsProvider,
} from '../tts-provider';
import { UpstreamAsk, upstreamAudio } from './upstream-audio';
import type { StreamingUpstreamResponse, UpstreamHttpClient } from './upstream-http.client';
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

/** What every HTTP provider shares besides its entry: the one client, and whether compressed answers can be decoded here. */
export interface UpstreamTools {
  http: UpstreamHttpClient;
  canDecodeCompressed: () => boolean;
}

const COMPRESSED = new Set<UpstreamResponseFormat>(['mp3', 'opus', 'aac', 'flac']);

/**
 * What every HTTP upstream shares: its config entry, its key, the shared client, model/voice mapping,
 * and the choice of what to ask for: the client's own format when the upstream offers it (its answer
 * then passes through untouched), else the entry's `response_format` for the pipeline to convert.
 * Subclasses only say what they offer and build the request (Portkey's declarative-mapping idea).
 */
export abstract class UpstreamProvider implements TtsProvider, ReportsAvailability {
  abstract readonly kind: 'openai-compatible' | 'elevenlabs-compatible' | 'sauti';
  protected abstract readonly fields: FieldSupport;
  /** Formats a client may get byte for byte (providers.yaml `native_formats`, checked at start-up). */
  protected readonly nativeFormats: ReadonlySet<UpstreamResponseFormat>;
  /** What the upstream is asked for when the client's format is not one it offers. */
  protected readonly responseFormat: UpstreamResponseFormat;

  constructor(
    protected readonly entry: ProviderEntry,
    protected readonly apiKey: string | undefined,
    protected readonly tools: UpstreamTools,
  ) {
    this.nativeFormats = new Set(ProvidersConfig.nativeFormats(entry));
    this.responseFormat = ProvidersConfig.responseFormat(entry);
  }

  get id(): string {
    return this.entry.id;
  }

  capabilities(): ProviderCapabilities {
    return { voices: ['*'], maxTextLength: this.entry.max_text_length, fields: this.fields };
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
    if (COMPRESSED.has(this.responseFormat) && !this.tools.canDecodeCompressed()) {
      return `response_format ${this.responseFormat} needs ffmpeg to decode the upstream's audio, and this deployment has none (set FFMPEG_PATH, or ask for wav or pcm)`;
    }
    return undefined;
  }

  async checkHealth(): Promise<ProviderHealth> {
    const reason = this.unavailableReason();
    return reason
      ? { status: 'down', detail: reason }
      : { status: 'up', detail: `upstream ${new URL(this.entry.base_url as string).origin}` };
  }

  /**
   * The upstream (kind, id and address) and exactly what it would be sent: the path and body carry the
   * model, voice, text and every setting this upstream honours, already mapped and clamped; fields it
   * does not take never reach the body. Headers (the API key, the request id) do not change the audio.
   */
  audioIdentity(request: ProviderRequest): AudioIdentity {
    const call = this.buildCall(request, this.askFor(request.output));
    return { engine: `${this.kind}:${this.id}:${this.entry.base_url ?? ''}`, input: { path: call.path, body: call.body } };
  }

  async synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<AudioStream> {
    const reason = this.unavailableReason();
    if (reason) throw new UpstreamError('provider_unavailable', `${this.id} is not configured: ${reason}`, false, { provider: this.id });
    const ask = this.askFor(request.output);
    const call = this.buildCall(request, ask);
    const response = await this.tools.http.open({
      provider: this.id,
      url: `${(this.entry.base_url as string).replace(/\/+$/, '')}${call.path}`,
      headers: { 'content-type': 'application/json', 'x-request-id': options.requestId, ...call.headers },
      body: JSON.stringify(call.body),
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
    return this.readAudio(response, ask);
  }

  private askFor(output: OutputSpec): UpstreamAsk {
    return this.nativeAsk(output) ?? this.transcodeAsk(output);
  }

  /** Whether the client's `format` is one this upstream may answer byte for byte. */
  protected offersNatively(format: AudioFormat): boolean {
    return (this.nativeFormats as ReadonlySet<string>).has(format);
  }

  protected upstreamModel(model: string | undefined): string | undefined {
    const chosen = model ?? this.entry.default_model;
    return chosen === undefined ? undefined : (this.entry.model_map[chosen] ?? chosen);
  }

  protected upstreamVoice(voice: string): string {
    return this.entry.voice_map[voice] ?? voice;
  }

  /** The answer as a stream, its first bytes deciding what it is. */
  protected readAudio(response: StreamingUpstreamResponse, ask: UpstreamAsk): Promise<AudioStream> {
    return upstreamAudio(this.id, response, ask);
  }

  /** `output` exactly, when this upstream offers it and may pass it through; otherwise undefined. */
  protected abstract nativeAsk(output: OutputSpec): UpstreamAsk | undefined;
  /** What to ask for when the pipeline will convert the answer into `output`. */
  protected abstract transcodeAsk(output: OutputSpec): UpstreamAsk;
  protected abstract buildCall(request: ProviderRequest, ask: UpstreamAsk): UpstreamCall;
}
