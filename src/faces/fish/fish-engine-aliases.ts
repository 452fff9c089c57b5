/**
 * `engineModelId` values that are not `provider/model` strings: each names an engine of the chosen
 * voice's chain (the provider id in providers.yaml). Listed in docs/fish-api.md.
 */
export const FISH_ENGINE_ALIASES: Readonly<Record<string, { provider: string; description: string }>> = Object.freeze({
  'sauti-vits': { provider: 'vits', description: "the voice's built-in VITS model only (no fallback)" },
  espeak: { provider: 'espeak', description: "eSpeak NG in the voice's language (offline formant synthesis)" },
});

export function fishAliasNames(): string[] {
  return Object.keys(FISH_ENGINE_ALIASES);
}
