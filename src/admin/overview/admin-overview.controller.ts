import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import { AdminErrorResponses } from '../admin-openapi';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { ADMIN_SESSION_COOKIE } from '../auth/admin-request';
import { HistorySeries, MetricsHistoryReader } from '../history/metrics-history.reader';
import { AdminOverviewService } from './admin-overview.service';

export class AdminHistoryQueryDto {
  @ApiPropertyOptional({ description: 'Epoch seconds: only slots after it (default: the whole last hour).', example: 1764590000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  since?: number;
}

const OVERVIEW_EXAMPLE = {
  generated_at: '2026-12-01T10:00:00.000Z',
  refresh_seconds: 5,
  ready: true,
  dependencies: { database: { status: 'up', target: '127.0.0.1:5432', latencyMs: 0.4 }, redis: { status: 'up', latencyMs: 0.2 } },
  voices: [
    {
      id: 'sauti-swahili-v1',
      name: 'Sauti Swahili',
      engine: 'vits',
      available: false,
      served_by_fallback: true,
      fallback_provider: 'espeak',
    },
  ],
  providers: [
    {
      id: 'openai',
      kind: 'openai-compatible',
      status: 'degraded',
      detail: 'upstream https://api.openai.com',
      recent: { calls: 120, failures: 9, error_rate: 0.075, p50_ms: 310, p95_ms: 880 },
      processes: [
        {
          process: 'api@host:4242',
          role: 'api',
          breaker: 'open',
          breakerRetryInMs: 8000,
          lastError: { code: 'provider_unavailable', message: '…', at: '…' },
          recent: null,
        },
        {
          process: 'worker@host:4343',
          role: 'worker',
          breaker: 'closed',
          lastLatencyMs: 290,
          recent: { calls: 60, failures: 0, error_rate: 0 },
        },
      ],
    },
  ],
  queue: { waiting: 3, active: 2, delayed: 0, prioritized: 0, failed: 1, oldest_queued_seconds: 4.2 },
  jobs: {
    queued: 3,
    running: 2,
    oldest_queued_seconds: 4.2,
    last_hour: { succeeded: 140, failed: 2 },
    last_day: { succeeded: 3300, failed: 12 },
  },
  workers: [{ worker_id: 'host:4343', pid: 4343, last_seen: '2026-12-01T09:59:58.000Z' }],
  api_processes: [{ process: 'api@host:4242', pid: 4242, last_seen: '2026-12-01T10:00:00.000Z' }],
  recent_window_seconds: 300,
};

const HISTORY_EXAMPLE = {
  slot_seconds: 10,
  slots: [1764583190, 1764583200],
  providers: { vits: { per_second: [1.2, 0.9], failures: [0, 1], p50_ms: [42.1, 40.3], p95_ms: [88, 91.5] } },
  faces: { sauti: { per_second: [1.1, 0.9], failures: [0, 0], p50_ms: [50.2, 48], p95_ms: [95, 97] } },
};

@ApiTags('Admin: live view')
@ApiBearerAuth('admin-token')
@ApiCookieAuth(ADMIN_SESSION_COOKIE)
@Controller('admin/v1')
@UseGuards(AdminAuthGuard)
export class AdminOverviewController {
  constructor(
    private readonly overview: AdminOverviewService,
    private readonly history: MetricsHistoryReader,
  ) {}

  @Get('overview')
  @ApiOperation({
    summary: 'The live view: dependencies, voices, providers per process (breaker, error rate, p50/p95), queue, jobs, processes',
    description: 'A part that cannot be read (Redis or PostgreSQL down) is `{error}` instead; the rest still answers.',
  })
  @ApiOkResponse({ schema: { type: 'object', example: OVERVIEW_EXAMPLE } })
  @AdminErrorResponses(401, 404)
  show() {
    return this.overview.overview();
  }

  @Get('metrics/history')
  @ApiOperation({
    summary: 'Request rate, failures and p50/p95 latency per provider and per API face, in 10-second slots over the last hour',
    description:
      'Summed over every api and worker process. The newest slots may still grow: poll again from a few slots before the newest you hold.',
  })
  @ApiOkResponse({ schema: { type: 'object', example: HISTORY_EXAMPLE } })
  @AdminErrorResponses(401, 404, 422)
  metricsHistory(@Query() query: AdminHistoryQueryDto): Promise<HistorySeries> {
    return this.history.series(query.since);
  }
}
