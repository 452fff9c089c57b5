import type { ProvidersConfig } from './providers.config';

/**
 * Upstream API keys, read once at start-up from the environment variables providers.yaml names.
 * A provider whose variable is unset or empty has no entry: it is reported down and skipped.
 */
export class UpstreamKeys {
  private readonly keys = new Map<string, string>();

  constructor(providers: ProvidersConfig, source: NodeJS.ProcessEnv) {
    for (const provider of providers.providers) {
      const value = provider.api_key_env ? source[provider.api_key_env] : undefined;
      if (value !== undefined && value.trim() !== '') this.keys.set(provider.id, value.trim());
    }
  }

  /** The key for `providerId`, or undefined when its variable is not set. */
  get(providerId: string): string | undefined {
    return this.keys.get(providerId);
  }

  /** Never let a key reach a log line through JSON.stringify or util.inspect. */
  toJSON(): string {
    return '[upstream keys]';
  }
}
