import { IsInt, IsObject, Min } from 'class-validator';

/** `config/pricing.yaml`: credits charged per character (Unicode code point after NFC). */
export class PricingConfig {
  @IsInt()
  @Min(0)
  default_credits_per_character = 1;

  /** Rate per catalogue voice id or `provider/model`; anything not listed pays the default. */
  @IsObject()
  per_voice: Record<string, number> = {};

  creditsFor(voiceOrModel: string, characters: number): number {
    const rate = this.per_voice[voiceOrModel] ?? this.default_credits_per_character;
    return rate * characters;
  }
}
