import { Inject, Injectable } from '@nestjs/common';
import { reportsAvailability } from './http/upstream-provider.base';
import { TTS_PROVIDERS, TtsProvider } from './tts-provider';

/** Kinds whose "model" in a `provider/model` string names the voice itself. */
const MODEL_NAMES_VOICE = new Set<TtsProvider['kind']>(['vits', 'espeak', 'sauti']);

/** Kinds that run in this process (no network): no retries, and their RTF is measured. */
const LOCAL_KINDS = new Set<TtsProvider['kind']>(['vits', 'espeak']);

/** Every configured provider by id, and what can be known about them without calling them. */
@Injectable()
export class ProviderRegistry {
  private readonly byId: Map<string, TtsProvider>;

  constructor(@Inject(TTS_PROVIDERS) providers: TtsProvider[]) {
    this.byId = new Map(providers.map((provider) => [provider.id, provider]));
  }

  get(id: string): TtsProvider | undefined {
    return this.byId.get(id);
  }

  all(): TtsProvider[] {
    return [...this.byId.values()];
  }

  /** Why `provider` cannot serve anything now (no key, engine absent), or undefined. */
  unavailableReason(provider: TtsProvider): string | undefined {
    return reportsAvailability(provider) ? provider.unavailableReason() : undefined;
  }

  /** Why `provider` cannot serve `voice` now, including local voices whose files are missing. */
  voiceUnavailableReason(provider: TtsProvider, voice: string): string | undefined {
    const reason = this.unavailableReason(provider);
    if (reason) return reason;
    const voices = provider.capabilities().voices;
    if (!voices.includes('*') && !voices.includes(voice)) return `voice '${voice}' is not loaded`;
    return undefined;
  }

  static modelNamesVoice(provider: TtsProvider): boolean {
    return MODEL_NAMES_VOICE.has(provider.kind);
  }

  static isLocal(provider: TtsProvider): boolean {
    return LOCAL_KINDS.has(provider.kind);
  }
}
