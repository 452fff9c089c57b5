import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { withTimeout } from '../common/with-timeout';
import { HealthRegistry } from './health-registry';
import type { ReadinessCheck } from './readiness-check';

/** A probe that takes longer than this counts as down: a dashboard must never wait on a hung dependency. */
const CHECK_TIMEOUT_MS = 2000;

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: HealthRegistry,
  ) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  live() {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  /** Every registered dependency; 503 naming each critical one that is down. */
  @Get('ready')
  async ready(@Res() response: Response): Promise<void> {
    try {
      response.status(200).json(await this.health.check(this.registry.all().map((check) => () => this.probe(check))));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(503).json(error.getResponse());
    }
  }

  private async probe(check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(check.key);
    try {
      const report = await withTimeout(check.check(), CHECK_TIMEOUT_MS, `no answer within ${CHECK_TIMEOUT_MS} ms`);
      const { status, ...details } = report;
      if (status === 'down' && check.critical) return indicator.down({ ...details, state: status });
      return indicator.up({ ...details, state: status, critical: check.critical });
    } catch (error) {
      const details = { message: (error as Error).message, critical: check.critical };
      return check.critical ? indicator.down({ ...details, state: 'down' }) : indicator.up({ ...details, state: 'down' });
    }
  }
}
