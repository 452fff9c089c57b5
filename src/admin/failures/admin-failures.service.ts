import { Injectable } from '@nestjs/common';
import type { RequestFailure } from '../../common/errors/request-failures';
import type { FailedJobRow } from '../../jobs/synthesis-job.reports';
import { SynthesisJobRepository } from '../../jobs/synthesis-job.repository';
import type { AdminAttemptDto, AdminFailureDto, AdminFailureListDto, AdminFailureQueryDto } from './admin-failures.dto';
import { KEPT_REQUEST_FAILURES, RequestFailureStore } from './request-failure.store';

/** Failed jobs (PostgreSQL) and failed requests (the capped Redis list), newest first, filtered alike. */
@Injectable()
export class AdminFailuresService {
  constructor(
    private readonly jobs: SynthesisJobRepository,
    private readonly requests: RequestFailureStore,
  ) {}

  async recent(query: AdminFailureQueryDto): Promise<AdminFailureListDto> {
    const [jobs, requests] = await Promise.all([
      query.kind === 'request'
        ? []
        : this.jobs.recentFailures({ code: query.code, provider: query.provider, tenantId: query.tenant_id, limit: query.limit }),
      query.kind === 'job' ? [] : this.requests.recent(),
    ]);
    const failures = [...jobs.map(fromJob), ...requests.filter((failure) => matches(failure, query)).map(fromRequest)]
      .sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
      .slice(0, query.limit);
    return { failures, requests_kept: KEPT_REQUEST_FAILURES };
  }
}

function matches(failure: RequestFailure, query: AdminFailureQueryDto): boolean {
  if (query.code && failure.code !== query.code) return false;
  if (query.tenant_id && failure.tenantId !== query.tenant_id) return false;
  if (query.provider && !attemptsOf(failure.attempts).some((attempt) => attempt.provider === query.provider)) return false;
  return true;
}

function attemptsOf(attempts: unknown[] | null | undefined): AdminAttemptDto[] {
  return (attempts ?? []).filter(
    (attempt): attempt is AdminAttemptDto => typeof attempt === 'object' && attempt !== null && 'provider' in attempt,
  );
}

function fromJob(row: FailedJobRow): AdminFailureDto {
  return {
    kind: 'job',
    request_id: row.id,
    job_id: row.id,
    at: new Date(row.completed_at).toISOString(),
    code: row.error_code,
    message: row.error_message ?? '',
    face: row.face,
    route: row.route,
    tenant_id: row.tenant_id,
    tenant_name: row.tenant_name,
    attempts: attemptsOf(row.routing_attempts),
  };
}

function fromRequest(failure: RequestFailure): AdminFailureDto {
  return {
    kind: 'request',
    request_id: failure.requestId,
    at: failure.at,
    code: failure.code,
    message: failure.message,
    status: failure.status,
    face: failure.face,
    endpoint: `${failure.method} ${failure.path}`,
    tenant_id: failure.tenantId ?? null,
    tenant_name: failure.tenantName ?? null,
    attempts: attemptsOf(failure.attempts),
  };
}
