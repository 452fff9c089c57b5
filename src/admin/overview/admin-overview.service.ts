import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { withTimeout } from '../../common/with-timeout';
import { AppConfig } from '../../config/app-config';
import { HealthRegistry } from '../../health/health-registry';
import type { ReadinessReport } from '../../health/readiness-check';
import { SYNTHESIS_QUEUE } from '../../jobs/queue-names';
import { WorkerReports } from '../../jobs/worker-reports';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { ProviderStateSnapshot } from '../../synthesis/routing/provider-states';
import { VoiceCatalog } from '../../synthesis/routing/voice-catalog';
import { SynthesisJobRepository } from '../../jobs/synthesis-job.repository';
import { MetricsHistoryReader, RecentFigures, RecentSubject } from '../history/metrics-history.reader';
import { ApiProcessReports } from './api-process-reports';

/** No part of the live view waits longer than this on a hung dependency; it reports it instead. */
const PART_TIMEOUT_MS = 2000;
/** The window of the providers' error rate and latency in the live view. */
export const RECENT_WINDOW_SECONDS = 300;

/** A part of the live view that could not be read (Redis or PostgreSQL down) says why instead. */
export type Part<T> = T | { error: string };

export interface ProviderProcessView extends ProviderStateSnapshot {
  process: string;
  role: 'api' | 'worker';
  recent: RecentFigures | null;
}

async function part<T>(work: () => Promise<T>): Promise<Part<T>> {
  try {
    return await withTimeout(work(), PART_TIMEOUT_MS, `no answer within ${PART_TIMEOUT_MS} ms`);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * The dashboard's live view in one answer: dependencies, voices, providers as every process sees them
 * (breaker, last error and latency, error rate and p50/p95 over five minutes), the queue, jobs by
 * status and the live processes. Each part is read independently, so one dependency being down costs
 * that part only.
 */
@Injectable()
export class AdminOverviewService {
  constructor(
    private readonly health: HealthRegistry,
    private readonly providers: ProviderRegistry,
    private readonly catalog: VoiceCatalog,
    private readonly workers: WorkerReports,
    private readonly apiProcesses: ApiProcessReports,
    private readonly history: MetricsHistoryReader,
    private readonly jobs: SynthesisJobRepository,
    @InjectQueue(SYNTHESIS_QUEUE) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {}

  async overview() {
    const [checks, queue, jobs, workers, apiProcesses, recent] = await Promise.all([
      this.readiness(),
      part(() => this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed')),
      part(() => this.jobs.statusCounts()),
      part(() => this.workers.heartbeats()),
      part(() => this.apiProcesses.all()),
      this.history.recentProviders(RECENT_WINDOW_SECONDS).catch((): Record<string, RecentSubject> => ({})),
    ]);
    const workerList = 'error' in workers ? [] : workers;
    const apiList = 'error' in apiProcesses ? [this.apiProcesses.own()] : apiProcesses;
    const dependency = (key: string) => checks.get(key) ?? { status: 'down' as const, message: 'not checked' };
    return {
      generated_at: new Date().toISOString(),
      refresh_seconds: this.config.admin.refreshSeconds,
      ready: dependency('database').status === 'up' && dependency('redis').status === 'up',
      dependencies: { database: dependency('database'), redis: dependency('redis') },
      voices: this.catalog.list().map((voice) => ({
        id: voice.id,
        name: voice.name,
        engine: voice.engine,
        available: voice.available,
        served_by_fallback: voice.servedByFallback,
        fallback_provider: voice.fallbackProvider ?? null,
        test_voice: voice.testVoice,
      })),
      providers: this.providers.all().map((provider) => {
        const check = checks.get(`provider:${provider.id}`);
        const processes: ProviderProcessView[] = [
          ...apiList.map((report) => this.processView(report.process, 'api', report.providers[provider.id], recent[provider.id])),
          ...workerList.map((beat) =>
            this.processView(`worker@${beat.workerId}`, 'worker', beat.providers?.[provider.id], recent[provider.id]),
          ),
        ].filter((view): view is ProviderProcessView => view !== undefined);
        const { by_process: _byProcess, ...overall } = recent[provider.id] ?? { by_process: {} };
        return {
          id: provider.id,
          kind: provider.kind,
          status: check?.status ?? 'down',
          detail: (check?.detail as string | undefined) ?? (check?.message as string | undefined) ?? null,
          recent: 'calls' in overall ? overall : null,
          processes,
        };
      }),
      queue: 'error' in queue ? queue : { ...queue, oldest_queued_seconds: 'error' in jobs ? null : jobs.oldest_queued_seconds },
      jobs,
      workers: 'error' in workers ? workers : workers.map((beat) => ({ worker_id: beat.workerId, pid: beat.pid, last_seen: beat.at })),
      api_processes: apiList.map((report) => ({ process: report.process, pid: report.pid, last_seen: report.at })),
      recent_window_seconds: RECENT_WINDOW_SECONDS,
    };
  }

  private processView(
    process: string,
    role: 'api' | 'worker',
    state: ProviderStateSnapshot | undefined,
    recent: { by_process: Record<string, RecentFigures> } | undefined,
  ): ProviderProcessView | undefined {
    if (!state) return undefined;
    return { process, role, ...state, recent: recent?.by_process[process] ?? null };
  }

  /** The same checks as /health/ready (database, Redis, voices, providers), each bounded in time. */
  private async readiness(): Promise<Map<string, ReadinessReport>> {
    const wanted = this.health.all().filter((check) => ['database', 'redis'].includes(check.key) || check.key.startsWith('provider:'));
    const reports = await Promise.all(
      wanted.map(async (check): Promise<[string, ReadinessReport]> => {
        try {
          return [check.key, await withTimeout(check.check(), PART_TIMEOUT_MS, `no answer within ${PART_TIMEOUT_MS} ms`)];
        } catch (error) {
          return [check.key, { status: 'down', message: (error as Error).message }];
        }
      }),
    );
    return new Map(reports);
  }
}
