import { readFileSync } from 'node:fs';
import type { AudioStream } from '../../audio/audio-stream';
import { TtsError } from '../../common/tts-error';
import type { ProviderEntry } from '../../config/providers.config';
import { speak } from '../../espeak/espeak-speech';
import { isEspeakVoice } from '../../espeak/espeak-voices';
import { planPieces } from '../../text/sentence-plan';
import { SENTENCE_PAUSE_SECONDS } from '../../text/text-chunker';
import type {
  AudioIdentity,
  FieldSupport,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderHealth,
  ProviderRequest,
  TtsProvider,
} from '../tts-provider';

/** eSpeak's default pace; speaking_rate scales it. */
const DEFAULT_WORDS_PER_MINUTE = 175;
/** eSpeak's own output rate. */
const ESPEAK_SAMPLE_RATE = 22_050;
/** The engine's identity for the audio cache: the WebAssembly build's package version. */
const ESPEAK_ENGINE = `espeak-ng:${(JSON.parse(readFileSync(require.resolve('espeak-ng/package.json'), 'utf8')) as { version: string }).version}`;
const ESPEAK_FIELDS: FieldSupport = { voice: false, speed: [0.25, 4], instructions: false, language: false };

function wordsPerMinute(request: ProviderRequest): number {
  return Math.round(Math.min(450, Math.max(80, DEFAULT_WORDS_PER_MINUTE * request.settings.speakingRate)));
}

function abortError(signal: AbortSignal, provider: string, timeoutMs: number): TtsError {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return timedOut
    ? new TtsError('provider_timeout', `${provider} did not finish within ${timeoutMs} ms`, { details: { provider } })
    : new TtsError('provider_unavailable', `${provider}: call cancelled by the caller`, { details: { provider } });
}

/**
 * eSpeak NG's formant voice through its WebAssembly build: offline, any eSpeak language. It is the last
 * target of the Swahili voices so the service keeps speaking when the VITS files are absent or broken.
 * Speaks through long-lived eSpeak sessions in their own threads (src/espeak/espeak-sessions.ts), the
 * first sentence alone and then growing groups of sentences, so the first audio is ready after one
 * sentence while the whole text costs few calls; the next group is spoken while the previous is sent.
 */
export class EspeakProvider implements TtsProvider {
  readonly kind = 'espeak' as const;

  constructor(private readonly entry: ProviderEntry) {}

  get id(): string {
    return this.entry.id;
  }

  capabilities(): ProviderCapabilities {
    return { voices: ['*'], maxTextLength: this.entry.max_text_length, fields: ESPEAK_FIELDS };
  }

  supports(voice: string): boolean {
    // Checked against eSpeak's own list, so a voice it lacks is unknown_voice before anything is billed.
    return isEspeakVoice(voice);
  }

  async synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<AudioStream> {
    if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
    return { descriptor: { format: 'pcm', sampleRate: ESPEAK_SAMPLE_RATE, channels: 1 }, chunks: this.speakPieces(request, options) };
  }

  async checkHealth(): Promise<ProviderHealth> {
    return { status: 'up', detail: 'eSpeak NG (WebAssembly, offline)' };
  }

  /** The voice, the text and the pace after clamping (speaking rates past eSpeak's limits sound the same). */
  audioIdentity(request: ProviderRequest): AudioIdentity {
    return { engine: ESPEAK_ENGINE, input: { voice: request.voice, text: request.text, wordsPerMinute: wordsPerMinute(request) } };
  }

  private async *speakPieces(request: ProviderRequest, options: ProviderCallOptions): AsyncGenerator<Buffer> {
    const pace = wordsPerMinute(request);
    const pieces = planPieces(request.text, 'growing');
    const pause = Buffer.alloc(Math.round(SENTENCE_PAUSE_SECONDS * ESPEAK_SAMPLE_RATE) * 2);
    const spoken = pieces.map(() => undefined as Promise<Buffer> | undefined);
    const start = (index: number) => {
      if (index >= pieces.length || spoken[index]) return;
      spoken[index] = this.speakOne(pieces[index], request.voice, pace, options);
      spoken[index]?.catch(() => undefined); // awaited in order; a later failure must not go unhandled meanwhile
    };
    for (let index = 0; index < pieces.length; index++) {
      start(index);
      start(index + 1);
      const pcm = await (spoken[index] as Promise<Buffer>);
      if (index > 0 && pcm.length > 0) yield pause;
      if (pcm.length > 0) yield pcm;
    }
  }

  private async speakOne(text: string, voice: string, wordsPerMinute: number, options: ProviderCallOptions): Promise<Buffer> {
    try {
      const speech = await speak(text, voice, wordsPerMinute, options.signal);
      if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
      if (speech.sampleRate !== ESPEAK_SAMPLE_RATE) throw new Error(`eSpeak answered at ${speech.sampleRate} Hz`);
      return speech.pcm;
    } catch (error) {
      if (error instanceof TtsError) throw error;
      if (options.signal.aborted) throw abortError(options.signal, this.id, options.timeoutMs);
      throw new TtsError('provider_unavailable', `${this.id} cannot speak voice '${voice}': ${(error as Error).message}`, {
        details: { provider: this.id },
        cause: error,
      });
    }
  }
}
