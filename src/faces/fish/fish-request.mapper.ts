import { withCacheControl } from '../shared/cache-control';
import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import type { RouteEntry } from '../../config/routes.config';
import { DEFAULT_VOICE_SETTINGS } from '../../common/voice-settings';
import { PreparedSpeech, SpeechService } from '../../synthesis/speech.service';
import { speechText, SynthesisRequest } from '../../synthesis/synthesis-request';
import { FISH_DEFAULT_FORMAT, FishCreateTaskDto } from './fish-create-task.dto';
import { FISH_ENGINE_ALIASES, fishAliasNames } from './fish-engine-aliases';

type RouteChoice = Pick<SynthesisRequest, 'route' | 'voice'> & { field: 'voiceId' | 'engineModelId' };

/**
 * Fish names a voice (`voiceId`, a catalogue voice) and optionally the engine that should speak it
 * (`engineModelId`: an alias of one engine in the voice's chain, or any `provider/model` route).
 * This turns the pair into the neutral request and validates it before anything is billed.
 */
@Injectable()
export class FishRequestMapper {
  constructor(
    private readonly config: AppConfig,
    private readonly speech: SpeechService,
  ) {}

  async prepare(body: FishCreateTaskDto, cacheControl?: string): Promise<PreparedSpeech> {
    const { text, characters } = speechText(body.text);
    const choice = this.routeFor(body.voiceId, body.engineModelId);
    const request: SynthesisRequest = {
      text,
      characters,
      route: choice.route,
      ...(choice.voice ? { voice: choice.voice } : {}),
      fallbacks: [],
      settings: { ...DEFAULT_VOICE_SETTINGS },
      format: body.format ?? FISH_DEFAULT_FORMAT,
    };
    return this.speech.prepare(withCacheControl(request, cacheControl), { route: choice.field, format: 'format' });
  }

  private routeFor(voiceId: string, engineModelId: string | undefined): RouteChoice {
    const voice = this.config.routes.voices.find((entry) => entry.id === voiceId);
    if (engineModelId === undefined || engineModelId === null) {
      if (!voice) throw this.unknownVoice(voiceId);
      return { route: voiceId, field: 'voiceId' };
    }
    const alias = FISH_ENGINE_ALIASES[engineModelId];
    if (alias) {
      if (!voice) throw this.unknownVoice(voiceId);
      return this.aliasRoute(voice, engineModelId, alias.provider);
    }
    if (!engineModelId.includes('/')) {
      throw new TtsError(
        'unknown_provider',
        `Unknown engineModelId '${engineModelId}'. Use one of ${fishAliasNames().join(', ')} or a provider/model route.`,
        {
          field: 'engineModelId',
        },
      );
    }
    return this.explicitRoute(voiceId, voice, engineModelId);
  }

  /** The alias's engine as the voice's chain configures it; eSpeak also speaks voices it is not chained to. */
  private aliasRoute(voice: RouteEntry, alias: string, providerId: string): RouteChoice {
    const target = voice.chain.find((step) => step.provider === providerId);
    const namesVoice = this.speech.modelNamesVoice(providerId);
    if (namesVoice === undefined)
      throw new TtsError('unknown_provider', `Engine '${alias}' is not configured on this service.`, { field: 'engineModelId' });
    if (!target) {
      if (providerId === 'espeak' && voice.language) return { route: `espeak/${voice.language}`, field: 'engineModelId' };
      throw new TtsError('unknown_provider', `Voice '${voice.id}' has no '${alias}' engine.`, { field: 'engineModelId' });
    }
    if (namesVoice) return { route: `${providerId}/${target.voice}`, field: 'engineModelId' };
    const model = target.model ?? this.config.providers.find(providerId)?.default_model;
    if (!model) throw new TtsError('unknown_provider', `Voice '${voice.id}' names no model for '${alias}'.`, { field: 'engineModelId' });
    return { route: `${providerId}/${model}`, voice: target.voice, field: 'engineModelId' };
  }

  /**
   * A `provider/model` route. Upstreams that take a voice separately get the catalogue voice's own
   * voice on that provider, or `voiceId` itself when it is not a catalogue voice (e.g. `alloy`).
   */
  private explicitRoute(voiceId: string, voice: RouteEntry | undefined, engineModelId: string): RouteChoice {
    const providerId = engineModelId.slice(0, engineModelId.indexOf('/'));
    const namesVoice = this.speech.modelNamesVoice(providerId);
    if (namesVoice === undefined)
      throw new TtsError('unknown_provider', `Unknown provider '${providerId}' in engineModelId '${engineModelId}'.`, {
        field: 'engineModelId',
      });
    if (namesVoice) {
      if (!voice) throw this.unknownVoice(voiceId);
      return { route: engineModelId, field: 'engineModelId' };
    }
    const upstreamVoice = voice ? voice.chain.find((step) => step.provider === providerId)?.voice : voiceId;
    return { route: engineModelId, ...(upstreamVoice ? { voice: upstreamVoice } : {}), field: 'engineModelId' };
  }

  private unknownVoice(voiceId: string): TtsError {
    return new TtsError('unknown_voice', `Unknown voiceId '${voiceId}': it is not a voice of this service's catalogue.`, {
      field: 'voiceId',
    });
  }
}
