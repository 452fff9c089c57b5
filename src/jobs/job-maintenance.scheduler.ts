import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CreditHolds } from '../billing/credit-holds';
import { describeOutage } from '../common/errors/dependency-outage';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';
import { JobMaintenance } from './job-maintenance';
import { MAINTENANCE_TASK, MaintenanceRunRepository } from './maintenance-run.repository';
import { WorkerHeartbeatService } from './worker-heartbeat.service';

/**
 * A round may start this soon after the last one (a fraction of the interval): timers of several
 * workers drift, and a worker whose tick comes a few milliseconds early must not skip a whole round.
 */
const SPACING_FRACTION = 0.8;

/**
 * Runs the maintenance (expiry sweep, stuck-job check, abandoned credit holds, outbox relay) every
 * MAINTENANCE_INTERVAL_MS from a timer in each worker process, not from a schedule kept in Redis: the
 * relay is what repairs a Redis that lost its state, so it must not depend on that state. Each
 * worker asks PostgreSQL for the round (MaintenanceRunRepository.claim), so with several workers one
 * of them runs it about once per interval, and while any worker lives it runs.
 */
@Injectable()
export class JobMaintenanceScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private round?: Promise<boolean>;
  /** The relay waits for Redis while Redis is down; it may outlive its round, but never overlaps itself. */
  private relaying?: Promise<number>;
  private stopping = false;

  constructor(
    private readonly maintenance: JobMaintenance,
    private readonly runs: MaintenanceRunRepository,
    private readonly holds: CreditHolds,
    private readonly heartbeat: WorkerHeartbeatService,
    private readonly config: AppConfig,
    private readonly logger: RootLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.round = this.runRound().finally(() => {
        this.round = undefined;
        if (!this.stopping) this.schedule(this.config.jobs.maintenanceIntervalMs);
      });
    }, delayMs);
  }

  /** One round, if this worker wins it. Each part runs even when another failed: the sweep needs only PostgreSQL. */
  async runRound(): Promise<boolean> {
    const interval = this.config.jobs.maintenanceIntervalMs;
    const claimed = await this.runs.claim(MAINTENANCE_TASK, this.heartbeat.workerId, interval * SPACING_FRACTION).catch((error) => {
      this.logger.pino.warn({ reason: describeOutage(error) }, 'job maintenance skipped: PostgreSQL unavailable');
      return false;
    });
    if (!claimed) return false;
    const swept = await this.attempt('expiry sweep', () => this.maintenance.sweep());
    const reservationsReleased = await this.attempt('credit hold sweep', () => this.holds.releaseAbandoned());
    const relayed = await this.attempt('outbox relay', () => this.relay(Date.now() + interval));
    if (swept?.expired || swept?.stalled || reservationsReleased || relayed)
      this.logger.pino.info({ ...swept, reservationsReleased, relayed }, 'job maintenance');
    return true;
  }

  private relay(deadline: number): Promise<number | undefined> {
    this.relaying ??= this.maintenance.relay(deadline).finally(() => (this.relaying = undefined));
    const waited = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now())).unref());
    return Promise.race([this.relaying, waited]);
  }

  private async attempt<T>(part: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await run();
    } catch (error) {
      this.logger.pino.warn({ part, reason: describeOutage(error) }, 'job maintenance step failed; the next round retries');
      return undefined;
    }
  }
}
