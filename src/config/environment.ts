import 'reflect-metadata';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/**
 * Every environment variable the service reads. Parsed and validated once at start-up
 * (`loadEnvironment`); nothing else reads `process.env`. `.env.example` documents each one.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/sauti';

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379/0';

  /** Prefix of every Redis key (queues, rate limits, heartbeats) so environments never share data. */
  @Matches(/^[a-zA-Z0-9_-]{1,64}$/, { message: 'QUEUE_PREFIX must be 1-64 letters, digits, _ or -' })
  QUEUE_PREFIX = 'sauti';

  @IsString()
  @MinLength(1)
  CONFIG_DIR = 'config';

  @IsString()
  @MinLength(1)
  VOICES_DIR = 'voices';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `auto`: coloured, human-readable lines when the log stream is a terminal, JSON lines otherwise. */
  @IsIn(['auto', 'json', 'pretty'])
  LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';

  /** Largest accepted request body. */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** How long a looked-up API key is trusted before it is read again (revocations take effect within this). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300_000)
  API_KEY_CACHE_TTL_MS = 5000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  JOB_RESULT_TTL_SECONDS = 3600;

  /** A job whose worker stops renewing its lock for this long is taken over by another worker. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600_000)
  JOB_LOCK_DURATION_MS = 30_000;

  /** Attempts per job for transient failures (provider timeouts, upstream 5xx). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  JOB_MAX_ATTEMPTS = 3;

  /** A job still `running` after this long is failed with `job_stalled` and its credits released. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(86_400)
  JOB_RUNNING_TIMEOUT_SECONDS = 900;

  /** How often the worker's maintenance runs (expiry sweep, outbox relay, stuck-job check). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  MAINTENANCE_INTERVAL_MS = 15_000;

  /** The relay re-enqueues `queued` rows older than this that have no BullMQ job. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  JOB_RELAY_MIN_AGE_MS = 10_000;

  /** How long an Idempotency-Key names its job (Stripe keeps keys 24 hours). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(720)
  IDEMPOTENCY_KEY_TTL_HOURS = 24;

  /**
   * How often each worker process reports to Redis: its heartbeat, its providers' breaker states and its
   * metrics, which the api's /health/ready and /metrics include. A worker unheard of for 3 intervals is gone.
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WORKER_REPORT_INTERVAL_MS = 5000;

  /** Inference worker threads per process (0 = one per core, at most 4). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(64)
  INFERENCE_POOL_SIZE = 0;

  /** onnxruntime intra-op threads inside each inference worker thread. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  INFERENCE_THREADS = 1;

  /**
   * Mirror for `voices install`: when set, each catalogue file is fetched from `<base>/<file name>`
   * instead of its own URL (an internal mirror, or a local server in tests).
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  VOICE_CATALOG_BASE_URL?: string;

  /**
   * The ffmpeg binary that encodes mp3/opus/aac/flac and decodes upstreams that send compressed audio.
   * Unset: the static build installed by npm (`@ffmpeg-installer/ffmpeg`).
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  FFMPEG_PATH?: string;

  /** Secret for signed audio URLs (Fish face). Must be set in production. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'AUDIO_URL_SIGNING_SECRET must be at least 32 characters' })
  AUDIO_URL_SIGNING_SECRET?: string;

  /** Key id written into signed audio URLs (`kid`); changing it (with the secret) invalidates outstanding links. */
  @Matches(/^[A-Za-z0-9_-]{1,32}$/, { message: 'AUDIO_URL_KEY_ID must be 1-32 letters, digits, _ or -' })
  AUDIO_URL_KEY_ID = 'k1';

  /**
   * Origin put in front of signed audio URLs (`https://tts.example.com`). Unset: the origin the client
   * called, which is right unless a proxy that is not on loopback terminates TLS.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] })
  AUDIO_URL_BASE_URL?: string;

  /** Lifetime of a signed audio URL; each poll issues a fresh one while the result lives. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(24 * 3600)
  AUDIO_URL_TTL_SECONDS = 900;
}

export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses and validates the environment; throws an EnvironmentError naming every bad variable. */
export function loadEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const known = Object.keys(new Environment());
  const present: Record<string, string> = {};
  for (const key of [...known, 'AUDIO_URL_SIGNING_SECRET', 'AUDIO_URL_BASE_URL', 'VOICE_CATALOG_BASE_URL', 'FFMPEG_PATH']) {
    const value = source[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(environment, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new EnvironmentError(
      errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')} (got ${JSON.stringify(error.value)})`),
    );
  }
  if (environment.NODE_ENV === 'production' && !environment.AUDIO_URL_SIGNING_SECRET) {
    throw new EnvironmentError(['AUDIO_URL_SIGNING_SECRET: required when NODE_ENV=production']);
  }
  return environment;
}

/** LOG_FORMAT for the lines written before the environment is validated (start-up, shutdown); `auto` when unset or bad. */
export function startupLogFormat(source: NodeJS.ProcessEnv = process.env): 'auto' | 'json' | 'pretty' {
  const format = source.LOG_FORMAT;
  return format === 'json' || format === 'pretty' ? format : 'auto';
}
