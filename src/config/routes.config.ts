import { Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { isEspeakVoice } from '../espeak/espeak-voices';
import { ConfigFileError } from './yaml-file';
import type { ProvidersConfig } from './providers.config';

export const ROUTE_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;

/** One step of a chain: a provider and that provider's own voice (and model, for upstreams that take one). */
export class RouteTargetEntry {
  @IsString()
  @MinLength(1)
  provider!: string;

  @IsString()
  @MinLength(1)
  voice!: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  model?: string;

  /** Per-attempt budget; the provider's own `timeout_ms` when absent. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  timeout_ms?: number;
}

/** A route: what clients name (a catalogue voice or a `provider/model`) and the chain that serves it. */
export class RouteEntry {
  /** A catalogue voice id (`sauti-swahili-v1`) or, under `models`, a `provider/model` key. */
  @IsString()
  @MinLength(1)
  id!: string;

  @IsOptional()
  @IsString()
  name?: string;

  /** ISO 639-1 code of the voice's language. */
  @IsOptional()
  @Matches(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/)
  language?: string;

  /** Every answer on this route is resampled to this rate, whoever served it. */
  @IsIn(ROUTE_SAMPLE_RATES)
  sample_rate!: number;

  /**
   * The audio cache on this route (docs/cache.md): `true` (each tenant its own entries), `false` (never
   * cached), or `shared` (catalogue voices only: one entry for every tenant, which lets a tenant tell
   * from a fast answer that someone spoke the same text on this voice).
   */
  @IsIn([true, false, 'shared'])
  cache: boolean | 'shared' = true;

  /** Fixture voices for tests and demos; listed but flagged in the catalogue. */
  @IsBoolean()
  test_voice = false;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => RouteTargetEntry)
  chain!: RouteTargetEntry[];
}

/** `config/routes.yaml`. */
export class RoutesConfig {
  /** Catalogue voices (Sauti/Fish voice ids): these are what `GET /v1/voices` lists. */
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => RouteEntry)
  voices: RouteEntry[] = [];

  /** Explicit `provider/model` routes (Bifrost/OpenAI style); others are derived from the providers. */
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => RouteEntry)
  models: RouteEntry[] = [];

  /** Sample rate of `provider/model` routes that `models` does not list. */
  @IsIn(ROUTE_SAMPLE_RATES)
  implicit_sample_rate = 24_000;
}

/** Checks what class-validator cannot: ids unique, every route target names a configured provider, upstream audio options fit their kind, eSpeak voices exist. */
export function crossCheckRouting(providers: ProvidersConfig, routes: RoutesConfig): void {
  const problems: string[] = providers.problems();
  const ids = providers.providers.map((provider) => provider.id);
  for (const duplicate of ids.filter((id, index) => ids.indexOf(id) !== index))
    problems.push(`providers.yaml: provider id '${duplicate}' is defined twice`);
  const check = (section: string, entries: RouteEntry[]) => {
    const keys = entries.map((entry) => entry.id);
    for (const duplicate of keys.filter((key, index) => keys.indexOf(key) !== index))
      problems.push(`routes.yaml: ${section} '${duplicate}' is defined twice`);
    for (const route of entries) {
      const key = route.id;
      if (section === 'models' && !/^[^/\s]+\/\S+$/.test(key)) problems.push(`routes.yaml: models.${key} must be a provider/model key`);
      if (section === 'models' && route.cache === 'shared')
        problems.push(`routes.yaml: models.${key} cannot have cache: shared (only catalogue voices can)`);
      route.chain.forEach((target, index) => {
        const provider = providers.find(target.provider);
        if (!provider) problems.push(`routes.yaml: ${section}.${key}.chain[${index}] names unknown provider '${target.provider}'`);
        else if (provider.kind === 'espeak' && !isEspeakVoice(target.voice))
          problems.push(`routes.yaml: ${section}.${key}.chain[${index}] names voice '${target.voice}', which eSpeak NG does not have`);
      });
    }
  };
  check('voices', routes.voices);
  check('models', routes.models);
  for (const { id: key } of routes.voices) if (key.includes('/')) problems.push(`routes.yaml: voice id '${key}' must not contain '/'`);
  if (problems.length > 0) throw new ConfigFileError(`Invalid routing configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}
