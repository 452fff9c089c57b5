import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const DURATION = String.raw`\s*\d{1,9}\s*(?:ms|s|m|h)\s*`;
/** Comma-separated durations: `500ms,5s,5m,2h`. */
export const WEBHOOK_SCHEDULE_PATTERN = new RegExp(`^${DURATION}(?:,${DURATION})*$`);
const NETWORK = String.raw`\s*[0-9A-Fa-f:.]+/\d{1,3}\s*`;
/** Comma-separated CIDR networks, or nothing. */
export const WEBHOOK_NETWORK_LIST_PATTERN = new RegExp(`^(?:${NETWORK}(?:,${NETWORK})*)?$`);

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

  /**
   * How long an idle client connection is kept open for its next request. Node's own default (5 s)
   * is shorter than the idle timeout of the load balancers in front of a service (60 s on AWS's ALB,
   * nginx's `keepalive_timeout`): they then reuse a connection this process is closing and answer 502,
   * and a client calling every few seconds pays a new connection each time.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 65_000;

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

  /** The relay re-enqueues `queued` and `running` rows older than this that have no BullMQ job. */
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

  /**
   * Lifetime of a request's credit hold: its process renews it every third of this while the request
   * lives; a hold not renewed for this long (its process died) is released by the worker's maintenance.
   */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(3600)
  CREDIT_HOLD_TTL_SECONDS = 60;

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

  /** The audio result cache (docs/cache.md): off here turns it off for the whole deployment. */
  @Transform(({ value }) => parseFlag(value, true))
  @IsBoolean()
  AUDIO_CACHE_ENABLED = true;

  /** Upper bound of the cache's stored audio, all tenants together; least recently used entries go first. */
  @Type(() => Number)
  @IsInt()
  @Min(64 * 1024)
  @Max(Number.MAX_SAFE_INTEGER)
  AUDIO_CACHE_MAX_BYTES = 1024 * 1024 * 1024;

  /** Entries older than this (from when they were stored) are never served again and are deleted. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365 * 24 * 3600)
  AUDIO_CACHE_TTL_SECONDS = 7 * 24 * 3600;

  /** Longer answers are not stored (and are not held in memory to be stored). */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(256 * 1024 * 1024)
  AUDIO_CACHE_MAX_ENTRY_BYTES = 16 * 1024 * 1024;

  /**
   * Copies of recently hit entries each process keeps, so a hot entry's audio is not read out of
   * PostgreSQL on every hit (the entry is still checked there each time); 0 turns the copies off.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(4 * 1024 * 1024 * 1024)
  AUDIO_CACHE_MEMORY_BYTES = 32 * 1024 * 1024;

  /** How long a request waits for an identical synthesis already running (in any process) before doing its own. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  AUDIO_CACHE_WAIT_MS = 30_000;

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

  /**
   * The LAME shared library mp3 is encoded with (a file name the loader searches for, or a path), or
   * `wasm` for LAME compiled to WebAssembly. Unset: libmp3lame.so.0 and the usual names are tried, and
   * WebAssembly is used when none opens. Set to a library that does not open, the process does not start.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  LAME_LIBRARY?: string;

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

  /**
   * Delays between webhook delivery attempts, comma-separated durations (`500ms`, `5s`, `5m`, `2h`):
   * one attempt at once, then one after each delay. The default spreads 8 attempts over about 31 hours.
   */
  @Matches(WEBHOOK_SCHEDULE_PATTERN, { message: 'WEBHOOK_RETRY_SCHEDULE must be comma-separated durations such as 5s,5m,2h' })
  WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,14h';

  /** One delivery attempt: connecting, sending and the receiver's answer must fit in this. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** An endpoint whose deliveries have failed without a success for this long is disabled. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(30 * 24 * 3600)
  WEBHOOK_DISABLE_AFTER_SECONDS = 3 * 24 * 3600;

  /** After a secret rotation the old secret keeps signing (beside the new one) for this long. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  WEBHOOK_SECRET_GRACE_SECONDS = 24 * 3600;

  /** Plain-http endpoints (development only): deliveries are signed but not encrypted. */
  @Transform(({ value }) => value === true || value === 'true' || value === '1')
  @IsBoolean()
  WEBHOOK_ALLOW_HTTP = false;

  /**
   * Networks (CIDR, comma-separated) an endpoint may resolve to although they are loopback, private,
   * link-local or metadata addresses: `127.0.0.1/32` for a receiver on the same machine.
   */
  @Matches(WEBHOOK_NETWORK_LIST_PATTERN, { message: 'WEBHOOK_ALLOWED_NETWORKS must be comma-separated CIDR networks' })
  WEBHOOK_ALLOWED_NETWORKS = '';

  /** Deliveries one worker process sends at once (they wait on the network, not the CPU). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 16;
  /**
   * Turns on the ops dashboard (`/dashboard`) and the admin API (`/admin/v1/`): the token an operator signs
   * in with, or sends as `Authorization: Bearer`. Only its SHA-256 is kept in memory. Prefer
   * ADMIN_TOKEN_SHA256 where the environment is written to disk. Admin keys made with
   * `npm run cli -- admin-keys create` turn them on too.
   */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'ADMIN_TOKEN must be at least 32 characters (npm run cli -- admin-keys token makes one)' })
  ADMIN_TOKEN?: string;

  /** The hex SHA-256 of the admin token, so the token itself is stored nowhere (`admin-keys token` prints both). */
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/i, { message: 'ADMIN_TOKEN_SHA256 must be 64 hexadecimal characters (a SHA-256)' })
  ADMIN_TOKEN_SHA256?: string;

  /** A dashboard session unused for this long ends (every request renews it; 7 days at most in all). */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(7 * 24 * 60)
  ADMIN_SESSION_IDLE_MINUTES = 720;

  /** How often the dashboard's live view asks for fresh figures. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(60)
  DASHBOARD_REFRESH_SECONDS = 5;
}

export class EnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Variables without a default: `new Environment()` has no key for them, so they are listed here. */
const OPTIONAL_VARIABLES = [
  'AUDIO_URL_SIGNING_SECRET',
  'AUDIO_URL_BASE_URL',
  'VOICE_CATALOG_BASE_URL',
  'FFMPEG_PATH',
  'LAME_LIBRARY',
  'ADMIN_TOKEN',
  'ADMIN_TOKEN_SHA256',
];

/** `true`/`1` and `false`/`0`; `fallback` when unset; anything else is left for @IsBoolean to refuse. */
function parseFlag(value: unknown, fallback: boolean): unknown {
  if (value === undefined) return fallback;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return value;
}

/** Never repeated in an error message: start-up errors end up in logs. */
const SECRET_VARIABLES = new Set(['ADMIN_TOKEN', 'AUDIO_URL_SIGNING_SECRET']);

/** Parses and validates the environment; throws an EnvironmentError naming every bad variable. */
export function loadEnvironment(source: NodeJS.ProcessEnv = process.env): Environment {
  const known = Object.keys(new Environment());
  const present: Record<string, string> = {};
  for (const key of [...known, ...OPTIONAL_VARIABLES]) {
    const value = source[key];
    if (value !== undefined && value !== '') present[key] = value;
  }
  const environment = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(environment, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new EnvironmentError(
      errors.map((error) => {
        const got = SECRET_VARIABLES.has(error.property) ? 'a value that is not shown' : JSON.stringify(error.value);
        return `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')} (got ${got})`;
      }),
    );
  }
  if (environment.NODE_ENV === 'production' && !environment.AUDIO_URL_SIGNING_SECRET) {
    throw new EnvironmentError(['AUDIO_URL_SIGNING_SECRET: required when NODE_ENV=production']);
  }
  if (environment.ADMIN_TOKEN && environment.ADMIN_TOKEN_SHA256) {
    throw new EnvironmentError(['ADMIN_TOKEN, ADMIN_TOKEN_SHA256: set one of them, not both']);
  }
  return environment;
}

/** LOG_FORMAT for the lines written before the environment is validated (start-up, shutdown); `auto` when unset or bad. */
export function startupLogFormat(source: NodeJS.ProcessEnv = process.env): 'auto' | 'json' | 'pretty' {
  const format = source.LOG_FORMAT;
  return format === 'json' || format === 'pretty' ? format : 'auto';
}
