import { pcm16ToFloat } from '../../audio/wav';
import { TtsError } from '../../common/tts-error';
import type { ProviderEntry } from '../../config/providers.config';
import { EspeakSpeech, speak } from '../../espeak/espeak-speech';
import { isEspeakVoice } from '../../espeak/espeak-voices';
import type {
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderHealth,
  ProviderRequest,
  SynthesizedAudio,
  TtsProvider,
} from '../tts-provider';

/** eSpeak's default pace; speaking_rate scales it. */
const DEFAULT_WORDS_PER_MINUTE = 175;

function abortError(signal: AbortSignal, provider: string, timeoutMs: number): TtsError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return timedOut
    ? new TtsError('provider_timeout', `${provider} did not finish within ${timeoutMs} ms`, { details: { provider } })
    : new TtsError('provider_unavailable', `${provider}: call cancelled by the caller`, { details: { provider } });
}

/**
 * eSpeak NG's formant voice through its WebAssembly build: offline, any eSpeak language. It is the last
 * target of the Swahili voices so the service keeps speaking when the VITS files are absent or broken.
 * Speaks through long-lived eSpeak sessions in their own threads (src/espeak/espeak-sessions.ts); a
 * cancelled call is released at once.
 */
export class EspeakProvider implements TtsProvider {
  readonly kind = 'espeak' as const;

  constructor(private readonly entry: ProviderEntry) {}

  get id(): string {
    return this.entry.id;
  }

  capabilities(): ProviderCapabilities {
    return { voices: ['*'], maxTextLength: this.entry.max_text_length };
  }

  supports(voice: string): boolean {
    // Checked against eSpeak's own list, so a voice it lacks is unknown_voice before anything is billed.
    return isEspeakVoice(voice);
  }

  async synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<SynthesizedAudio> {
    if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
    const wordsPerMinute = Math.min(450, Math.max(80, DEFAULT_WORDS_PER_MINUTE * request.settings.speakingRate));
    let speech: EspeakSpeech;
    try {
      speech = await speak(request.text, request.voice, wordsPerMinute, options.signal);
    } catch (error) {
      if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
      throw new TtsError('provider_unavailable', `${this.id} cannot speak voice '${request.voice}': ${(error as Error).message}`, {
        details: { provider: this.id },
        cause: error,
      });
    }
    if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
    return { samples: pcm16ToFloat(speech.pcm), sampleRate: speech.sampleRate };
  }

  async checkHealth(): Promise<ProviderHealth> {
    return { status: 'up', detail: 'eSpeak NG (WebAssembly, offline)' };
  }
}
