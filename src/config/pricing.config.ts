import { IsInt, IsNumber, IsObject, Max, Min } from 'class-validator';

/** `config/pricing.yaml`: credits charged per character (Unicode code point after NFC). */
export class PricingConfig {
  @IsInt()
  @Min(0)
  default_credits_per_character = 1;

  /** Rate per catalogue voice id or `provider/model`; anything not listed pays the default. */
  @IsObject()
  per_voice: Record<string, number> = {};

  /** A cache hit's price as a share of the normal price (docs/cache.md); rounded up to whole credits. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  cache_hit_factor = 0.1;

  /** What a cache hit costs for a request whose normal price is `price`. */
  cacheHitCredits(price: number): number {
    return Math.ceil(price * this.cache_hit_factor - 1e-9);
  }

  creditsFor(voiceOrModel: string, characters: number): number {
    const rate = this.per_voice[voiceOrModel] ?? this.default_credits_per_character;
    return rate * characters;
  }
}
