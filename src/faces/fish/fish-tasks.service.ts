import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import type { Principal } from '../../common/request-context';
import { parseIdempotencyKey } from '../../common/http/idempotency-key';
import { TtsError } from '../../common/tts-error';
import { isPossibleJobId } from '../../jobs/job-ids';
import { JobService } from '../../jobs/job.service';
import { SpeechService } from '../../synthesis/speech.service';
import type { StoredResult } from '../../storage/result-store';
import type { CacheStatus } from '../../synthesis/cache/audio-cache.types';
import { AccountService } from '../../tenants/account.service';
import { KeyRateLimits } from '../../tenants/key-rate-limit';
import { TenantsService } from '../../tenants/tenants.service';
import { FishAudioLinkSigner, AudioLinkQuery } from './fish-audio-link.signer';
import type { FishCreateTaskDto } from './fish-create-task.dto';
import { FishRequestMapper } from './fish-request.mapper';
import { FishTaskView, toFishTaskView } from './fish-task.mapper';

export interface FishProfileView {
  tenant: { id: string; name: string };
  apiKeyId: string;
  /** The presented key's budget and its spend in the current period (UTC day or month; `none`: ever). */
  apiKeyBudget: {
    creditLimit: number | null;
    period: 'day' | 'month' | 'none';
    spent: number;
    remaining: number | null;
    periodStart: string | null;
    resetsAt: string | null;
  };
  credits: { balance: number; reserved: number };
  rateLimits: { requestsPerMinute: number; jobCreatesPerMinute: number; jobPollsPerMinute: number; maxActiveJobs: number };
  tasks: { queued: number; processing: number };
}

/** The Fish face's use of jobs: tasks in, task objects with signed links out. */
@Injectable()
export class FishTasksService {
  constructor(
    private readonly jobs: JobService,
    private readonly speech: SpeechService,
    private readonly requests: FishRequestMapper,
    private readonly links: FishAudioLinkSigner,
    private readonly account: AccountService,
    private readonly tenants: TenantsService,
    private readonly rateLimits: KeyRateLimits,
  ) {}

  /**
   * Validates everything, then reserves credits and queues; a refused task leaves nothing behind.
   * The key's job-creation limit is charged only when a task is created: a replay costs nothing.
   */
  async create(
    principal: Principal,
    body: FishCreateTaskDto,
    headers: { idempotencyKey?: string; cacheControl?: string },
    origin: string,
    response?: Response,
  ): Promise<{ task: FishTaskView; created: boolean }> {
    const key = parseIdempotencyKey(headers.idempotencyKey);
    const prepared = await this.requests.prepare(body, headers.cacheControl);
    const { job, created } = await this.speech.submit(prepared, principal, {
      face: 'fish',
      idempotencyKey: key,
      admit: () => this.rateLimits.charge(principal, 'job_creates', response),
    });
    return { task: this.view(job, origin), created };
  }

  async get(principal: Principal, taskId: string, origin: string): Promise<FishTaskView> {
    return this.view(await this.jobs.get(principal.tenantId, taskId), origin);
  }

  /** For a signed link: no API key, the signature is the permission. A result gone since is a dead link. */
  async audio(
    taskId: string,
    query: AudioLinkQuery,
  ): Promise<{ result: StoredResult; provider: string | null; cache: CacheStatus | null; linkExpiresAt: Date }> {
    // A task id no task can have is an unknown task, whatever the signature says.
    if (!isPossibleJobId(taskId)) throw new TtsError('job_not_found', 'This task does not exist.');
    this.links.verify(taskId, query);
    try {
      const { job, result } = await this.jobs.getAudioById(taskId);
      return { result, provider: job.provider, cache: job.cacheStatus, linkExpiresAt: new Date(Number(query.expires) * 1000) };
    } catch (error) {
      if (error instanceof TtsError && error.code === 'job_not_found')
        throw new TtsError('link_expired', 'The audio behind this link has expired.');
      throw error;
    }
  }

  async profile(principal: Principal): Promise<FishProfileView> {
    const [tenant, summary, counts, key] = await Promise.all([
      this.tenants.get(principal.tenantId),
      this.account.creditsOf(principal.tenantId),
      this.jobs.activeCounts(principal.tenantId),
      this.account.presentedKey(principal.apiKeyId),
    ]);
    const budget = key.budget;
    const limits = this.tenants.limitsOf(tenant);
    return {
      tenant: { id: tenant.id, name: tenant.name },
      apiKeyId: principal.apiKeyId,
      apiKeyBudget: {
        creditLimit: budget.credit_limit,
        period: budget.period,
        spent: budget.spent,
        remaining: budget.remaining,
        periodStart: budget.period_start,
        resetsAt: budget.resets_at,
      },
      credits: summary,
      rateLimits: {
        requestsPerMinute: limits.requests_per_minute,
        jobCreatesPerMinute: limits.job_creates_per_minute,
        jobPollsPerMinute: limits.job_polls_per_minute,
        maxActiveJobs: limits.max_active_jobs,
      },
      tasks: { queued: counts.queued, processing: counts.running },
    };
  }

  private view(job: Parameters<typeof toFishTaskView>[0], origin: string): FishTaskView {
    const link = job.status === 'succeeded' ? this.links.sign(job.id, origin, job.expiresAt) : undefined;
    return toFishTaskView(job, link);
  }
}
