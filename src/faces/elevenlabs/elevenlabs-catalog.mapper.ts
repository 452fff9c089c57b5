import type { CatalogVoice } from '../../synthesis/speech.types';

/** The model a catalogue voice is served by: its engine, one model per engine kind (`vits`, `espeak`, `openai-compatible`, …). */
export function modelIdOf(voice: Pick<CatalogVoice, 'engine'>): string {
  return voice.engine;
}

/** What each engine is, for `GET /v1/models`. */
const ENGINE_DESCRIPTIONS: Record<string, string> = {
  vits: 'VITS neural voices (Piper-style ONNX models), run on this service.',
  espeak: 'eSpeak NG formant synthesis, offline, run on this service.',
  'openai-compatible': 'An OpenAI-compatible speech upstream, through this service.',
  'elevenlabs-compatible': 'An ElevenLabs-compatible upstream, through this service.',
  sauti: 'Another Sauti service, through this one.',
};

/** A catalogue voice in ElevenLabs' `Voice` shape; what ElevenLabs would compute (samples, sharing) is left out. */
export function toElevenLabsVoice(voice: CatalogVoice) {
  return {
    voice_id: voice.id,
    name: voice.name,
    category: 'premade',
    labels: { language: voice.language, engine: voice.engine },
    description: `${voice.name}: ${voice.language} voice at ${voice.sampleRate} Hz, served by ${voice.engine}${
      voice.available ? '' : voice.servedByFallback ? ` (now by its fallback ${voice.fallbackProvider})` : ' (unavailable now)'
    }.`,
    preview_url: null,
    available_for_tiers: [],
    settings: null,
    high_quality_base_model_ids: [modelIdOf(voice)],
    verified_languages: [{ language: voice.language, model_id: modelIdOf(voice) }],
    is_owner: false,
    is_legacy: false,
  };
}

/** One model per engine that serves a catalogue voice, with the languages of its voices. */
export function toElevenLabsModels(voices: CatalogVoice[], maxCharacters: number) {
  const engines = new Map<string, Set<string>>();
  for (const voice of voices) {
    const languages = engines.get(modelIdOf(voice)) ?? new Set<string>();
    languages.add(voice.language);
    engines.set(modelIdOf(voice), languages);
  }
  return [...engines].map(([engine, languages]) => ({
    model_id: engine,
    name: engine,
    can_be_finetuned: false,
    can_do_text_to_speech: true,
    can_do_voice_conversion: false,
    can_use_style: false,
    can_use_speaker_boost: false,
    serves_pro_voices: false,
    token_cost_factor: 1,
    description: ENGINE_DESCRIPTIONS[engine] ?? `The ${engine} engine, through this service.`,
    requires_alpha_access: false,
    max_characters_request_free_user: maxCharacters,
    max_characters_request_subscribed_user: maxCharacters,
    maximum_text_length_per_request: maxCharacters,
    languages: [...languages].sort().map((language) => ({ language_id: language, name: language })),
  }));
}

/** What a tenant's credits say, in ElevenLabs' subscription terms: the limit is what was granted, the count what was used. */
export interface TenantUsage {
  granted: number;
  used: number;
}

/** ElevenLabs' subscription object from the tenant's credits (characters and credits are one unit at the default rate). */
export function toElevenLabsSubscription(usage: TenantUsage) {
  return {
    tier: 'sauti',
    character_count: usage.used,
    character_limit: usage.granted,
    max_character_limit_extension: 0,
    max_credit_limit_extension: 0,
    can_extend_character_limit: false,
    allowed_to_extend_character_limit: false,
    next_character_count_reset_unix: null,
    voice_slots_used: 0,
    professional_voice_slots_used: 0,
    professional_voice_slots_used_in_workspace: 0,
    voice_limit: 0,
    max_voice_add_edits: 0,
    voice_add_edit_counter: 0,
    professional_voice_limit: 0,
    can_extend_voice_limit: false,
    can_use_instant_voice_cloning: false,
    can_use_professional_voice_cloning: false,
    currency: 'usd',
    current_overage: { amount: '0', currency: 'usd' },
    status: 'active',
    billing_period: null,
    character_refresh_period: null,
    next_invoice: null,
    open_invoices: [],
    has_open_invoices: false,
    pending_change: null,
  };
}

/** ElevenLabs' `User` for the tenant behind the key. */
export function toElevenLabsUser(tenant: { id: string; name: string; createdAt: Date }, usage: TenantUsage) {
  const {
    next_invoice: _next,
    open_invoices: _open,
    has_open_invoices: _has,
    pending_change: _pending,
    ...subscription
  } = toElevenLabsSubscription(usage);
  return {
    user_id: tenant.id,
    workspace_id: tenant.id,
    subscription,
    is_new_user: false,
    can_use_delayed_payment_methods: false,
    is_onboarding_completed: true,
    is_onboarding_checklist_completed: true,
    first_name: tenant.name,
    is_api_key_hashed: true,
    created_at: Math.floor(tenant.createdAt.getTime() / 1000),
    seat_type: 'workspace_admin',
  };
}
