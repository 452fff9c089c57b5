import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import type { RouteEntry } from '../../config/routes.config';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { SynthesisRequest } from '../synthesis-request';
import type { ResolvedRoute, RouteFieldNames, RouteTarget } from './routing.types';

type RouteQuery = Pick<SynthesisRequest, 'route' | 'voice' | 'fallbacks'>;

/**
 * Turns what a client named into an ordered list of targets, synchronously and without I/O, so a face
 * can validate a request before billing it. Catalogue voices and explicit `provider/model` entries come
 * from routes.yaml; any other `<provider>/<model>` is served by that provider alone if it supports it.
 */
@Injectable()
export class RouteResolver {
  private readonly voices: Map<string, RouteEntry>;
  private readonly models: Map<string, RouteEntry>;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: ProviderRegistry,
  ) {
    this.voices = new Map(config.routes.voices.map((entry) => [entry.id, entry]));
    this.models = new Map(config.routes.models.map((entry) => [entry.id, entry]));
  }

  catalogue(): RouteEntry[] {
    return [...this.voices.values()];
  }

  resolve(request: RouteQuery, fields: RouteFieldNames = {}): ResolvedRoute {
    const routeField = fields.route ?? 'voice_id';
    const route = this.primary(request, routeField);
    const seen = new Set(route.targets.map(targetKey));
    for (const fallback of request.fallbacks ?? []) {
      for (const target of this.fallbackTargets(fallback, request.voice, fields.fallbacks ?? 'fallbacks')) {
        if (seen.has(targetKey(target))) continue;
        seen.add(targetKey(target));
        route.targets.push(target);
      }
    }
    return route;
  }

  private primary(request: RouteQuery, field: string): ResolvedRoute {
    const named = this.voices.get(request.route) ?? this.models.get(request.route);
    if (named)
      return {
        key: request.route,
        sampleRate: named.sample_rate,
        language: named.language,
        cache: named.cache === 'shared' ? 'shared' : named.cache ? 'tenant' : 'off',
        targets: named.chain.map((target) => this.fromEntry(target)),
      };
    if (!request.route.includes('/')) throw new TtsError('unknown_voice', `Unknown voice '${request.route}'.`, { field });
    const target = this.implicitTarget(request.route, request.voice, field, 'unknown_voice');
    const catalogueVoice = this.voices.get(target.voice);
    return {
      key: request.route,
      sampleRate: catalogueVoice?.sample_rate ?? this.config.routes.implicit_sample_rate,
      language: catalogueVoice?.language,
      cache: 'tenant',
      targets: [target],
    };
  }

  /** A fallback is a `provider/model` string, or a catalogue voice id (its whole chain). */
  private fallbackTargets(fallback: string, voice: string | undefined, field: string): RouteTarget[] {
    const named = this.voices.get(fallback) ?? this.models.get(fallback);
    if (named) return named.chain.map((target) => this.fromEntry(target));
    if (!fallback.includes('/'))
      throw new TtsError('unknown_provider', `Fallback '${fallback}' is not a provider/model string.`, { field });
    return [this.implicitTarget(fallback, voice, field, 'unknown_provider')];
  }

  private implicitTarget(
    key: string,
    voice: string | undefined,
    field: string,
    unknownProviderCode: 'unknown_voice' | 'unknown_provider',
  ): RouteTarget {
    const slash = key.indexOf('/');
    const providerId = key.slice(0, slash);
    const model = key.slice(slash + 1);
    const provider = this.registry.get(providerId);
    if (!provider) throw new TtsError(unknownProviderCode, `Unknown provider '${providerId}' in '${key}'.`, { field });
    const entry = this.config.providers.find(providerId);
    const timeoutMs = entry?.timeout_ms ?? 30_000;
    if (model === '') throw new TtsError('unknown_voice', `'${key}' names no model.`, { field });
    if (ProviderRegistry.modelNamesVoice(provider)) {
      if (!provider.supports(model)) throw new TtsError('unknown_voice', `Provider '${providerId}' has no voice '${model}'.`, { field });
      return { provider: providerId, voice: model, timeoutMs };
    }
    const chosenVoice = voice ?? entry?.default_voice;
    if (!chosenVoice) throw new TtsError('invalid_request', `'${key}' needs a voice.`, { field: 'voice' });
    if (!provider.supports(chosenVoice, model))
      throw new TtsError('unknown_voice', `Provider '${providerId}' has no model '${model}'.`, { field });
    return { provider: providerId, voice: chosenVoice, model, timeoutMs };
  }

  private fromEntry(target: RouteEntry['chain'][number]): RouteTarget {
    const timeoutMs = target.timeout_ms ?? this.config.providers.find(target.provider)?.timeout_ms ?? 30_000;
    return { provider: target.provider, voice: target.voice, ...(target.model ? { model: target.model } : {}), timeoutMs };
  }
}

function targetKey(target: RouteTarget): string {
  return `${target.provider}\u0000${target.voice}\u0000${target.model ?? ''}`;
}
