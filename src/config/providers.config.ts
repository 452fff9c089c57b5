import { Type } from 'class-transformer';
import {
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

export const PROVIDER_KINDS = ['vits', 'espeak', 'openai-compatible', 'elevenlabs-compatible', 'sauti'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** What an HTTP upstream can be asked to answer in; anything but wav and pcm is decoded with ffmpeg. */
export const UPSTREAM_RESPONSE_FORMATS = ['wav', 'pcm', 'mp3', 'opus', 'aac', 'flac'] as const;
export type UpstreamResponseFormat = (typeof UPSTREAM_RESPONSE_FORMATS)[number];

/** Per kind: the formats its API offers; the first is the default. */
export const UPSTREAM_FORMATS: Partial<Record<ProviderKind, readonly UpstreamResponseFormat[]>> = {
  'openai-compatible': UPSTREAM_RESPONSE_FORMATS,
  // ElevenLabs' output_format: pcm_<pcm_sample_rate>, mp3_44100_128 or opus_48000_64.
  'elevenlabs-compatible': ['pcm', 'mp3', 'opus'],
};

/** Raw PCM rates upstreams are asked for: ElevenLabs offers all of these (pcm_44100 on a Pro plan), OpenAI sends 24 kHz. */
export const PCM_SAMPLE_RATES = [8000, 16000, 22050, 24000, 32000, 44100, 48000];

/** One TTS backend in `config/providers.yaml`. Fields that a kind does not use are ignored by it. */
export class ProviderEntry {
  /** Used in routes and in `provider/model` strings; a slash would make those ambiguous. */
  @Matches(/^[a-z0-9][a-z0-9_-]{0,63}$/, { message: 'id must be lower-case letters, digits, _ or - (no slash)' })
  id!: string;

  @IsIn(PROVIDER_KINDS)
  kind!: ProviderKind;

  /** Upstream base URL without the `/v1/...` path (HTTP kinds). */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  base_url?: string;

  /** Name of the environment variable holding the upstream key; the key itself never sits in YAML. */
  @IsOptional()
  @Matches(/^[A-Z_][A-Z0-9_]*$/, { message: 'api_key_env must be an environment variable name' })
  api_key_env?: string;

  /** Longest text one call accepts; a longer request skips this provider (HTTP kinds and eSpeak). */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_text_length = 5000;

  /** Default per-attempt budget when a route target does not set its own. */
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeout_ms = 30_000;

  /** Models this upstream accepts in `provider/model` strings; empty or `*` accepts any. */
  @IsArray()
  @IsString({ each: true })
  @ArrayUnique()
  models: string[] = [];

  /** Client-facing model name → the upstream's own model id. */
  @IsObject()
  model_map: Record<string, string> = {};

  /** Client-facing voice name → the upstream's own voice id. */
  @IsObject()
  voice_map: Record<string, string> = {};

  /** Voice used when a request names none (OpenAI/ElevenLabs-style upstreams need one). */
  @IsOptional()
  @IsString()
  default_voice?: string;

  /** Model sent when the route names none (ElevenLabs `model_id`). */
  @IsOptional()
  @IsString()
  default_model?: string;

  /**
   * What the upstream is asked to answer in (HTTP kinds; default wav for OpenAI-compatible, pcm for
   * ElevenLabs-compatible). `pcm` is raw 16-bit LE at `pcm_sample_rate`; mp3, opus, aac and flac are
   * for upstreams that offer nothing else and are decoded with ffmpeg.
   */
  @IsOptional()
  @IsIn(UPSTREAM_RESPONSE_FORMATS)
  response_format?: UpstreamResponseFormat;

  /**
   * Formats a client may get from this upstream byte for byte (HTTP kinds): when a client asks for one
   * of them (at a rate the upstream offers), the upstream is asked for exactly that and its answer is
   * passed through as it arrives, with no decoding or re-encoding. Default: every format the kind offers.
   */
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(UPSTREAM_RESPONSE_FORMATS, { each: true })
  native_formats?: UpstreamResponseFormat[];

  /** Rate of raw PCM answers (OpenAI sends 24 kHz; ElevenLabs sends what `output_format` asked). */
  @IsIn(PCM_SAMPLE_RATES)
  pcm_sample_rate = 24_000;
}

/** Retries of transient upstream failures (timeouts, connection errors, 429, 5xx). */
export class RetryPolicy {
  /** Retries after the first attempt, per route target. */
  @IsInt()
  @Min(0)
  @Max(10)
  max_retries = 2;

  @IsInt()
  @Min(0)
  @Max(60_000)
  base_delay_ms = 100;

  @IsInt()
  @Min(0)
  @Max(120_000)
  max_delay_ms = 2_000;

  /** A Retry-After longer than this is not waited for: the next target is tried instead. */
  @IsInt()
  @Min(0)
  @Max(300_000)
  max_retry_after_ms = 5_000;
}

export class BreakerPolicy {
  /** Failures within `window_ms` that open the breaker. */
  @IsInt()
  @Min(1)
  @Max(1000)
  failure_threshold = 5;

  @IsInt()
  @Min(100)
  @Max(3_600_000)
  window_ms = 30_000;

  /** How long an open breaker skips the provider before letting one probe through. */
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  cooldown_ms = 15_000;
}

export class HttpClientPolicy {
  /** Budget to open a TCP/TLS connection, within the attempt's total budget. */
  @IsInt()
  @Min(10)
  @Max(120_000)
  connect_timeout_ms = 3_000;

  /** Largest upstream body read; bigger answers are cut off with provider_unavailable. */
  @IsInt()
  @Min(1024)
  @Max(1024 * 1024 * 1024)
  max_response_bytes = 50 * 1024 * 1024;

  /** Same-host redirects followed (0 refuses every redirect); another host is always refused. */
  @IsInt()
  @Min(0)
  @Max(5)
  max_same_host_redirects = 2;
}

/** `config/providers.yaml`: every TTS backend plus the retry, breaker and HTTP policies they share. */
export class ProvidersConfig {
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ProviderEntry)
  providers: ProviderEntry[] = [];

  @ValidateNested()
  @Type(() => RetryPolicy)
  retry: RetryPolicy = new RetryPolicy();

  @ValidateNested()
  @Type(() => BreakerPolicy)
  breaker: BreakerPolicy = new BreakerPolicy();

  @ValidateNested()
  @Type(() => HttpClientPolicy)
  http: HttpClientPolicy = new HttpClientPolicy();

  find(id: string): ProviderEntry | undefined {
    return this.providers.find((provider) => provider.id === id);
  }

  /** What class-validator cannot check field by field: a response or native format the entry's kind does not offer. */
  problems(): string[] {
    const problems: string[] = [];
    for (const entry of this.providers) {
      const formats = UPSTREAM_FORMATS[entry.kind] ?? [];
      const offered = formats.length > 0 ? formats.join(', ') : 'none';
      if (entry.response_format !== undefined && !formats.includes(entry.response_format)) {
        problems.push(
          `providers.yaml: ${entry.id}.response_format '${entry.response_format}' is not offered by ${entry.kind} upstreams (${offered})`,
        );
      }
      for (const format of entry.native_formats ?? []) {
        if (!formats.includes(format)) {
          problems.push(`providers.yaml: ${entry.id}.native_formats '${format}' is not offered by ${entry.kind} upstreams (${offered})`);
        }
      }
    }
    return problems;
  }

  /** The formats `entry`'s answers may pass through in: its own list, or everything its kind offers. */
  static nativeFormats(entry: ProviderEntry): readonly UpstreamResponseFormat[] {
    return entry.native_formats ?? UPSTREAM_FORMATS[entry.kind] ?? [];
  }

  /** The format `entry` asks its upstream for: its own, or its kind's default; kinds without a choice (a Sauti peer) send WAV. */
  static responseFormat(entry: ProviderEntry): UpstreamResponseFormat {
    const formats = UPSTREAM_FORMATS[entry.kind];
    return formats ? (entry.response_format ?? formats[0]) : 'wav';
  }
}
