import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { WorkerReports } from '../jobs/worker-reports';
import { MetricsRegistry } from './metrics.registry';

/**
 * Prometheus scrape endpoint (text exposition format): this api process's metrics, plus each live
 * worker's last report (series labelled `worker="<host>:<pid>"`), since workers serve no HTTP.
 */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly workers: WorkerReports,
  ) {}

  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    // Without Redis the api still answers with its own metrics; readiness reports Redis down.
    const reports = await this.workers.metrics().catch(() => []);
    const snapshots = reports.map((report) => ({ labels: { worker: report.workerId }, metrics: report.metrics }));
    // A snapshot that cannot be rendered (a worker of another version, say) must not cost the api its own metrics.
    const text = await this.metrics.renderWith(snapshots).catch(() => this.metrics.render());
    response.setHeader('content-type', this.metrics.contentType);
    response.send(text);
  }
}
