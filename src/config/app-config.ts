import type { FfmpegLocation } from '../audio/ffmpeg';
import { hashApiKey } from '../tenants/api-key-material';
import { Environment, loadEnvironment } from './environment';
import { PricingConfig } from './pricing.config';
import { ProvidersConfig } from './providers.config';
import { RateLimitsConfig } from './rate-limits.config';
import { VoiceCatalogConfig, VoicesConfig } from './voices.config';
import { crossCheckRouting, RoutesConfig } from './routes.config';
import { UpstreamKeys } from './upstream-keys';
import { webhookSettings, WebhookSettings } from './webhook-settings';
import { loadYamlFile } from './yaml-file';

/**
 * The whole configuration, validated once and handed out in typed groups.
 * Built by `AppConfig.load()` at process start; everything else receives it by injection.
 */
export class AppConfig {
  readonly pricing: PricingConfig;
  readonly rateLimits: RateLimitsConfig;
  readonly voices: VoicesConfig;
  readonly voiceCatalog: VoiceCatalogConfig;
  readonly providers: ProvidersConfig;
  readonly routes: RoutesConfig;
  /** Upstream API keys from the variables providers.yaml names (`secretSource` is the environment). */
  readonly upstreamKeys: UpstreamKeys;
  /** Completion webhooks: retry schedule, timeouts, address rules (src/webhooks). */
  readonly webhooks: WebhookSettings;

  constructor(
    readonly environment: Environment,
    secretSource: NodeJS.ProcessEnv = process.env,
  ) {
    this.pricing = loadYamlFile(environment.CONFIG_DIR, 'pricing.yaml', PricingConfig);
    this.rateLimits = loadYamlFile(environment.CONFIG_DIR, 'rate-limits.yaml', RateLimitsConfig);
    this.voices = loadYamlFile(environment.CONFIG_DIR, 'voices.yaml', VoicesConfig);
    this.voiceCatalog = loadYamlFile(environment.CONFIG_DIR, 'voice-catalog.yaml', VoiceCatalogConfig);
    this.providers = loadYamlFile(environment.CONFIG_DIR, 'providers.yaml', ProvidersConfig);
    this.routes = loadYamlFile(environment.CONFIG_DIR, 'routes.yaml', RoutesConfig);
    crossCheckRouting(this.providers, this.routes);
    this.upstreamKeys = new UpstreamKeys(this.providers, secretSource);
    this.webhooks = webhookSettings(environment);
  }

  static load(source: NodeJS.ProcessEnv = process.env): AppConfig {
    return new AppConfig(loadEnvironment(source), source);
  }

  get http() {
    const env = this.environment;
    return {
      port: env.PORT,
      host: env.HOST,
      publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/+$/, ''),
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    };
  }

  get database() {
    return { url: this.environment.DATABASE_URL };
  }

  get redis() {
    return { url: this.environment.REDIS_URL, prefix: this.environment.QUEUE_PREFIX };
  }

  get auth() {
    return { keyCacheTtlMs: this.environment.API_KEY_CACHE_TTL_MS };
  }

  get logging() {
    return { level: this.environment.LOG_LEVEL, format: this.environment.LOG_FORMAT };
  }

  get jobs() {
    const env = this.environment;
    return {
      defaultResultTtlSeconds: env.JOB_RESULT_TTL_SECONDS,
      lockDurationMs: env.JOB_LOCK_DURATION_MS,
      maxAttempts: env.JOB_MAX_ATTEMPTS,
      runningTimeoutSeconds: env.JOB_RUNNING_TIMEOUT_SECONDS,
      maintenanceIntervalMs: env.MAINTENANCE_INTERVAL_MS,
      relayMinAgeMs: env.JOB_RELAY_MIN_AGE_MS,
      idempotencyKeyTtlHours: env.IDEMPOTENCY_KEY_TTL_HOURS,
      workerReportIntervalMs: env.WORKER_REPORT_INTERVAL_MS,
    };
  }

  get billing() {
    return { holdTtlSeconds: this.environment.CREDIT_HOLD_TTL_SECONDS };
  }

  /** The audio result cache (src/synthesis/cache, docs/cache.md). */
  get audioCache() {
    const env = this.environment;
    return {
      enabled: env.AUDIO_CACHE_ENABLED,
      maxBytes: env.AUDIO_CACHE_MAX_BYTES,
      ttlSeconds: env.AUDIO_CACHE_TTL_SECONDS,
      maxEntryBytes: Math.min(env.AUDIO_CACHE_MAX_ENTRY_BYTES, env.AUDIO_CACHE_MAX_BYTES),
      waitMs: env.AUDIO_CACHE_WAIT_MS,
      memoryBytes: env.AUDIO_CACHE_MEMORY_BYTES,
    };
  }

  get inference() {
    return { poolSize: this.environment.INFERENCE_POOL_SIZE, threadsPerWorker: this.environment.INFERENCE_THREADS };
  }

  get paths() {
    return { configDir: this.environment.CONFIG_DIR, voicesDir: this.environment.VOICES_DIR };
  }

  /** Signed audio URLs (Fish `audioUrl`): secret (may be unset outside production), key id, lifetime, origin. */
  get audioLinks() {
    const env = this.environment;
    return {
      secret: env.AUDIO_URL_SIGNING_SECRET,
      keyId: env.AUDIO_URL_KEY_ID,
      ttlSeconds: env.AUDIO_URL_TTL_SECONDS,
      baseUrl: env.AUDIO_URL_BASE_URL?.replace(/\/+$/, ''),
    };
  }

  /**
   * The admin API and dashboard: the admin token's SHA-256 (the plaintext is not kept), session idle
   * lifetime and the live view's refresh period.
   */
  get admin() {
    const env = this.environment;
    const tokenSha256 = env.ADMIN_TOKEN ? hashApiKey(env.ADMIN_TOKEN) : env.ADMIN_TOKEN_SHA256?.toLowerCase();
    return { tokenSha256, sessionIdleMs: env.ADMIN_SESSION_IDLE_MINUTES * 60_000, refreshSeconds: env.DASHBOARD_REFRESH_SECONDS };
  }

  /** The ffmpeg used to encode and decode audio: FFMPEG_PATH, or (unset) the npm-installed build. */
  get ffmpeg(): FfmpegLocation {
    return this.environment.FFMPEG_PATH ? { ffmpegPath: this.environment.FFMPEG_PATH } : {};
  }

  /** The LAME that writes mp3: LAME_LIBRARY (a library, or `wasm`), or (unset) the system's when it opens. */
  get mp3Encoder() {
    return { lameLibrary: this.environment.LAME_LIBRARY };
  }

  /** Where `voices install` downloads from: the catalogue's own URLs unless VOICE_CATALOG_BASE_URL replaces their base. */
  get voiceDownloads() {
    return { baseUrl: this.environment.VOICE_CATALOG_BASE_URL };
  }
}
