import { Injectable } from '@nestjs/common';
import { CreditsService } from '../../billing/credits.service';
import { AppConfig } from '../../config/app-config';
import { DEFAULT_VOICE_SETTINGS } from '../../common/voice-settings';
import { ProviderRegistry } from '../../providers/provider.registry';
import { VoiceCatalog } from '../../synthesis/routing/voice-catalog';
import { speechText, SynthesisRequest } from '../../synthesis/synthesis-request';
import { SpeechService } from '../../synthesis/speech.service';
import { TenantsService } from '../../tenants/tenants.service';
import type { AdminRouteChoiceDto, AdminTryDto, AdminTryResultDto } from './admin-try.dto';

/**
 * The dashboard's "try it": speaks a text on the route the operator picks, billed to the tenant they
 * pick, through the same use case as the Sauti sync endpoint (reserve, route, encode, settle or release).
 */
@Injectable()
export class AdminTryService {
  constructor(
    private readonly speech: SpeechService,
    private readonly tenants: TenantsService,
    private readonly credits: CreditsService,
    private readonly catalog: VoiceCatalog,
    private readonly providers: ProviderRegistry,
    private readonly config: AppConfig,
  ) {}

  async speak(body: AdminTryDto, options: { requestId: string; signal?: AbortSignal }): Promise<AdminTryResultDto> {
    const tenant = await this.tenants.get(body.tenant_id);
    const { text, characters } = speechText(body.text);
    const request: SynthesisRequest = {
      text,
      characters,
      route: body.route.trim(),
      ...(body.voice ? { voice: body.voice } : {}),
      fallbacks: [],
      settings: { ...DEFAULT_VOICE_SETTINGS },
      // Every browser plays WAV.
      format: 'wav',
    };
    const prepared = await this.speech.prepare(request, { route: 'route', format: 'format' });
    // The same use case as the Sauti sync endpoint: billed by the one rule, whole when it is delivered.
    const outcome = await this.speech.speak(prepared, { tenantId: tenant.id, requestId: options.requestId, face: 'admin' }, options.signal);
    const { balance } = await this.credits.balanceAndReserved(tenant.id);
    return {
      audio_base64: outcome.bytes.toString('base64'),
      content_type: outcome.contentType,
      duration_seconds: Math.round(outcome.durationSeconds * 100) / 100,
      provider: outcome.provider,
      ...(outcome.model ? { model: outcome.model } : {}),
      characters: outcome.characters,
      credits: outcome.credits,
      balance,
      attempts: outcome.attempts,
      request_id: options.requestId,
    };
  }

  /** What the picker offers: catalogue voices, configured `provider/model` routes, and the models each provider lists. */
  choices(): AdminRouteChoiceDto[] {
    const voices = this.catalog.list().map((voice) => ({ id: voice.id, label: `${voice.name} (${voice.id})`, kind: 'voice' as const }));
    const models = this.config.routes.models.map((model) => ({ id: model.id, label: model.id, kind: 'model' as const }));
    const known = new Set(models.map((model) => model.id));
    const kinds = new Map(this.providers.all().map((provider) => [provider.id, provider.kind]));
    const providers = this.config.providers.providers
      .flatMap((entry) =>
        entry.models.map((model) => ({
          id: `${entry.id}/${model}`,
          label: `${entry.id}/${model} (${kinds.get(entry.id)})`,
          kind: 'provider' as const,
        })),
      )
      .filter((choice) => !known.has(choice.id));
    return [...voices, ...models, ...providers];
  }
}
