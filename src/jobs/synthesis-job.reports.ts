import type { AttemptRecord } from '../synthesis/speech.types';

/** Shapes of the dashboard's reads of `synthesis_jobs` (SynthesisJobRepository). */
export interface JobStatusCounts {
  queued: number;
  running: number;
  oldest_queued_seconds: number | null;
  last_hour: { succeeded: number; failed: number };
  last_day: { succeeded: number; failed: number };
}

export interface FailedJobRow {
  id: string;
  tenant_id: string;
  tenant_name: string;
  face: string;
  route: string;
  status: string;
  error_code: string;
  error_message: string | null;
  routing_attempts: AttemptRecord[] | null;
  attempts: number;
  characters: number;
  completed_at: Date;
}

export interface FailureFilter {
  code?: string;
  provider?: string;
  tenantId?: string;
  limit: number;
}

export interface VoiceUsageRow {
  tenant_id: string;
  voice: string;
  jobs: number;
  characters: number;
}
