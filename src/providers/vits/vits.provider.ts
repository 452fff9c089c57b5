import { Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import type { VoiceEntry } from '../../config/voices.config';
import { HealthRegistry } from '../../health/health-registry';
import type { ReadinessReport } from '../../health/readiness-check';
import type { AudioStream } from '../../audio/audio-stream';
import { int16ToPcm16 } from '../../audio/wav';
import { normalizeSwahiliText } from '../../text/swahili-text.normalizer';
import type {
  AudioIdentity,
  FieldSupport,
  ProviderCallOptions,
  ProviderCapabilities,
  ProviderHealth,
  ProviderRequest,
  TtsProvider,
} from '../tts-provider';
import { InferencePool } from './inference.pool';
import { VoiceFingerprints } from './voice-fingerprints';
import { loadVoiceModel, readFrom, voiceFilesOnDisk, VoiceLoadResult, VoiceModel } from './voice-models';
import { speakWithVoice } from './vits.synthesizer';

/** Longest text one call accepts; longer requests are the synthesis layer's business (jobs). */
export const VITS_MAX_TEXT_LENGTH = 20_000;

/**
 * How long a voice's files are taken as they were last seen. Every request asks about its voice several
 * times (routing, the fields it honours, the cache key), so the files are looked at (two `stat` calls)
 * at most this often, not on each question: an installed or replaced voice is picked up within it.
 */
export const VOICE_FILES_RECHECK_MS = 1000;

/** VITS speaks the voice the model names, at any speed the knobs allow; it takes no instructions or language hint. */
export const VITS_FIELDS: FieldSupport = { voice: false, speed: [0.25, 4], instructions: false, language: false };

/**
 * The product's own voices: VITS models (Piper or MMS-TTS ONNX exports) run by onnxruntime-node in
 * a pool of worker threads, so the event loop never waits on inference. Voices come from
 * config/voices.yaml; one whose files are missing is reported unavailable (with the install
 * command) and the others keep working. The pool starts on the first synthesis.
 */
@Injectable()
export class VitsProvider implements TtsProvider, OnModuleInit, OnModuleDestroy {
  readonly id = 'vits';
  readonly kind = 'vits' as const;
  private readonly entries: Map<string, VoiceEntry>;
  /** Each voice as last read, and when its files were last looked at (Date.now()). */
  private readonly loaded = new Map<string, { state: VoiceLoadResult; checkedAt: number }>();
  private pool?: InferencePool;
  private readonly fingerprints = new VoiceFingerprints();

  constructor(
    private readonly config: AppConfig,
    @Optional() private readonly health?: HealthRegistry,
  ) {
    this.entries = new Map(config.voices.voices.map((entry) => [entry.id, entry]));
    for (const id of this.entries.keys()) this.state(id);
  }

  /** Fingerprints the installed voices before the first request, so their audio is cacheable from the start. */
  async onModuleInit(): Promise<void> {
    this.health?.register({ key: 'voices', critical: false, check: () => this.readiness() });
    await Promise.all(this.voiceStates().map((state) => (state.available ? this.fingerprints.hash(state.model) : undefined)));
  }

  async onModuleDestroy(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  capabilities(): ProviderCapabilities {
    return {
      voices: this.voiceStates()
        .filter((s) => s.available)
        .map((s) => s.id),
      maxTextLength: VITS_MAX_TEXT_LENGTH,
      fields: VITS_FIELDS,
    };
  }

  /** Declared voices, installed or not: a missing one fails with provider_unavailable so a route can fall back. */
  supports(voice: string): boolean {
    return this.entries.has(voice);
  }

  /** The voice's own sample rate (22,050 Hz for Piper medium voices); resampling is the caller's concern. */
  sampleRateOf(voice: string): number | undefined {
    const state = this.state(voice);
    return state?.available ? state.model.sampleRate : undefined;
  }

  /** 16-bit PCM at the voice's own rate, chunk by chunk (a sentence, or a clause of a long one) as inference finishes. */
  async synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<AudioStream> {
    const voice = this.requireVoice(request.voice);
    if (request.text.length > VITS_MAX_TEXT_LENGTH) {
      throw new TtsError(
        'text_too_long',
        `text is ${request.text.length} characters; the vits provider takes at most ${VITS_MAX_TEXT_LENGTH}`,
        { field: 'text' },
      );
    }
    return {
      descriptor: { format: 'pcm', sampleRate: voice.sampleRate, channels: 1 },
      chunks: this.speak(voice, request, options.signal),
    };
  }

  private async *speak(voice: VoiceModel, request: ProviderRequest, signal: AbortSignal): AsyncGenerator<Buffer> {
    try {
      for await (const samples of speakWithVoice(voice, { text: request.text, settings: request.settings }, this.inferencePool(), signal)) {
        yield int16ToPcm16(samples);
      }
    } catch (error) {
      if (error instanceof TtsError) throw error;
      throw new TtsError('provider_unavailable', `vits inference failed for ${voice.id}: ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * The model files' SHA-256, the speaker, the text as the voice will read it (after the Swahili text
   * normaliser) and the three VITS knobs; VITS takes no instructions or language hint, so they are out.
   */
  audioIdentity(request: ProviderRequest): AudioIdentity | undefined {
    const state = this.state(request.voice);
    if (!state?.available) return undefined;
    const fingerprint = this.fingerprints.current(state.model);
    if (!fingerprint) return undefined;
    const { speakingRate, noiseScale, noiseScaleDuration } = request.settings;
    return {
      engine: `vits:${fingerprint}`,
      input: {
        speaker: state.model.speakerId ?? null,
        text: normalizeSwahiliText(request.text),
        speakingRate,
        noiseScale,
        noiseScaleDuration,
      },
    };
  }

  async checkHealth(): Promise<ProviderHealth> {
    const states = this.voiceStates();
    const voices: NonNullable<ProviderHealth['voices']> = {};
    for (const state of states) {
      voices[state.id] = state.available
        ? { available: true, testVoice: state.model.testVoice }
        : { available: false, reason: state.voice.reason, testVoice: state.voice.testVoice };
    }
    const availableCount = states.filter((s) => s.available).length;
    const status = availableCount === states.length ? 'up' : availableCount === 0 ? 'down' : 'degraded';
    return { status, detail: `${availableCount} of ${states.length} voices available`, voices };
  }

  private async readiness(): Promise<ReadinessReport> {
    const health = await this.checkHealth();
    // Missing voices degrade the service; they never make it "not ready" (other providers may serve).
    return { status: health.status === 'up' ? 'up' : 'degraded', detail: health.detail, voices: health.voices };
  }

  private inferencePool(): InferencePool {
    this.pool ??= new InferencePool(this.config.inference);
    return this.pool;
  }

  private requireVoice(id: string): VoiceModel {
    const state = this.state(id);
    if (!state) throw new TtsError('unknown_voice', `the vits provider has no voice '${id}'`, { field: 'voice' });
    if (!state.available)
      throw new TtsError('provider_unavailable', `voice ${id} is unavailable: ${state.voice.reason}`, { details: { voice: id } });
    return state.model;
  }

  /**
   * The voice as its files are now (looked at once per VOICE_FILES_RECHECK_MS): one that was missing is
   * read once installed, and one whose files were replaced is read again, so `voices install` works
   * without a restart and a new model never runs under the old one's fingerprint (the inference
   * threads open a new session for the new files too).
   */
  private state(id: string): VoiceLoadResult | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    const now = Date.now();
    const known = this.loaded.get(id);
    if (known && now - known.checkedAt < VOICE_FILES_RECHECK_MS) return known.state;
    const { voicesDir } = this.config.paths;
    const onDisk = voiceFilesOnDisk(entry, voicesDir);
    const state = known?.state.available && readFrom(known.state.model, onDisk) ? known.state : loadVoiceModel(entry, voicesDir, onDisk);
    this.loaded.set(id, { state, checkedAt: now });
    return state;
  }

  private voiceStates(): ({ id: string } & VoiceLoadResult)[] {
    return [...this.entries.keys()].map((id) => ({ id, ...(this.state(id) as VoiceLoadResult) }));
  }
}
