/** The admin API's answers, as documented at /admin/docs. */

export interface Session {
  signed_in_as: { kind: 'token' | 'key'; name: string };
  via: 'session' | 'bearer';
  csrf_token?: string;
  refresh_seconds: number;
}

export type Part<T> = T | { error: string };

export interface Figures {
  calls: number;
  failures: number;
  error_rate: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface ProviderProcess {
  process: string;
  role: 'api' | 'worker';
  breaker: 'closed' | 'open' | 'half_open';
  breakerRetryInMs?: number;
  lastLatencyMs?: number;
  lastError?: { code: string; message: string; at: string };
  lastSuccessAt?: string;
  recent: Figures | null;
}

export interface ProviderView {
  id: string;
  kind: string;
  status: 'up' | 'degraded' | 'down';
  detail: string | null;
  recent: Figures | null;
  processes: ProviderProcess[];
}

export interface Dependency {
  status: 'up' | 'degraded' | 'down';
  latencyMs?: number;
  target?: string;
  message?: string;
}

export interface Overview {
  generated_at: string;
  refresh_seconds: number;
  ready: boolean;
  dependencies: { database: Dependency; redis: Dependency };
  voices: Array<{
    id: string;
    name: string;
    engine: string;
    available: boolean;
    served_by_fallback: boolean;
    fallback_provider: string | null;
  }>;
  providers: ProviderView[];
  queue: Part<{
    waiting: number;
    active: number;
    delayed: number;
    prioritized: number;
    failed: number;
    oldest_queued_seconds: number | null;
  }>;
  jobs: Part<{
    queued: number;
    running: number;
    oldest_queued_seconds: number | null;
    last_hour: { succeeded: number; failed: number };
    last_day: { succeeded: number; failed: number };
  }>;
  workers: Part<Array<{ worker_id: string; pid: number; last_seen: string }>>;
  api_processes: Array<{ process: string; pid: number; last_seen: string }>;
  recent_window_seconds: number;
}

export interface SubjectSeries {
  per_second: number[];
  failures: number[];
  p50_ms: Array<number | null>;
  p95_ms: Array<number | null>;
}

export interface History {
  slot_seconds: number;
  slots: number[];
  providers: Record<string, SubjectSeries>;
  faces: Record<string, SubjectSeries>;
}

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
  balance: number;
  reserved: number;
  spend_today: number;
  spend_month: number;
  top_voices: Array<{ voice: string; jobs: number; characters: number }>;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** The key's budget and its spend this period (docs/usage.md). */
  budget: { credit_limit: number | null; period: 'day' | 'month' | 'none'; spent: number; remaining: number | null };
}

export interface Attempt {
  provider: string;
  model?: string;
  voice?: string;
  outcome: string;
  durationMs: number;
  retries: number;
  message?: string;
}

export interface Failure {
  kind: 'job' | 'request';
  request_id: string;
  job_id?: string;
  at: string;
  code: string;
  message: string;
  status?: number;
  face: string;
  route?: string;
  endpoint?: string;
  tenant_id: string | null;
  tenant_name: string | null;
  attempts: Attempt[];
}

export interface RouteChoice {
  id: string;
  label: string;
  kind: 'voice' | 'model' | 'provider';
}

export interface TryResult {
  audio_base64: string;
  content_type: string;
  duration_seconds: number;
  provider: string;
  model?: string;
  characters: number;
  credits: number;
  balance: number;
  attempts: Attempt[];
  request_id: string;
}
