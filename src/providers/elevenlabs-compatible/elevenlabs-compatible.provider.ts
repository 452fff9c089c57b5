import type { OutputSpec } from '../../audio/audio-stream';
import type { FieldSupport, ProviderRequest } from '../tts-provider';
import { clampSpeed, UpstreamAsk } from '../http/upstream-audio';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/** ElevenLabs' `output_format` values, by format: raw PCM rates, and the rates and bitrates of its files. */
const PCM_RATES = [8000, 16000, 22050, 24000, 44100, 48000];
const MP3_BITRATES: Record<number, readonly number[]> = { 22050: [32], 44100: [32, 64, 96, 128, 192] };
const OPUS_BITRATES = [32, 64, 96, 128, 192];
/** What a compressed `response_format` asks for when converting: ElevenLabs' default mp3, and speech-sized opus. */
const DEFAULT_FILES: Record<'mp3' | 'opus', UpstreamAsk> = {
  mp3: { format: 'mp3', sampleRate: 44100, bitrateKbps: 128 },
  opus: { format: 'opus', sampleRate: 48000, bitrateKbps: 64 },
};

/**
 * Any upstream speaking ElevenLabs' `POST /v1/text-to-speech/{voice_id}?output_format=…` with
 * `xi-api-key`. A client's raw PCM at one of its rates, mp3 (22,050 Hz at 32 kbps, 44,100 Hz at 32 to
 * 192 kbps) or opus (48 kHz) is asked for as such and passed through. Anything else is asked as raw
 * PCM, at the client's rate when ElevenLabs offers it (so nothing is resampled), and converted.
 */
export class ElevenLabsCompatibleProvider extends UpstreamProvider {
  readonly kind = 'elevenlabs-compatible' as const;
  protected readonly fields: FieldSupport = { voice: true, speed: [0.7, 1.2], instructions: false, language: true };

  protected nativeAsk(output: OutputSpec): UpstreamAsk | undefined {
    if (!this.offersNatively(output.format)) return undefined;
    switch (output.format) {
      case 'pcm':
        return PCM_RATES.includes(output.sampleRate) ? { format: 'pcm', sampleRate: output.sampleRate } : undefined;
      case 'mp3': {
        const rate = output.exactRate ? output.sampleRate : 44100;
        const bitrate = output.bitrateKbps ?? (rate === 22050 ? 32 : 128);
        return MP3_BITRATES[rate]?.includes(bitrate) ? { format: 'mp3', sampleRate: rate, bitrateKbps: bitrate } : undefined;
      }
      case 'opus': {
        const bitrate = output.bitrateKbps ?? 64;
        if ((output.exactRate && output.sampleRate !== 48000) || !OPUS_BITRATES.includes(bitrate)) return undefined;
        return { format: 'opus', sampleRate: 48000, bitrateKbps: bitrate };
      }
      default:
        return undefined;
    }
  }

  protected transcodeAsk(output: OutputSpec): UpstreamAsk {
    if (this.responseFormat === 'mp3' || this.responseFormat === 'opus') return DEFAULT_FILES[this.responseFormat];
    return { format: 'pcm', sampleRate: PCM_RATES.includes(output.sampleRate) ? output.sampleRate : this.entry.pcm_sample_rate };
  }

  protected buildCall(request: ProviderRequest, ask: UpstreamAsk): UpstreamCall {
    const body: Record<string, unknown> = {
      text: request.text,
      voice_settings: { speed: clampSpeed(request.settings.speakingRate, 0.7, 1.2) },
    };
    const model = this.upstreamModel(request.model);
    if (model) body.model_id = model;
    if (request.language) body.language_code = request.language;
    return {
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}?output_format=${outputFormat(ask)}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body,
    };
  }
}

function outputFormat(ask: UpstreamAsk): string {
  return ask.format === 'pcm' ? `pcm_${ask.sampleRate}` : `${ask.format}_${ask.sampleRate}_${ask.bitrateKbps}`;
}
