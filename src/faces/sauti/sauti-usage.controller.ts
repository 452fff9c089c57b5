import { Controller, Get, Headers, Query, Res, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Principal } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { parseUsageQuery, USAGE_DIMENSIONS, USAGE_INTERVALS } from '../../usage/usage-query';
import { usageCsv, UsageService } from '../../usage/usage.service';
import { SautiProblemResponses } from './sauti-openapi';
import { SautiUsageReportDto } from './sauti-usage.dto';

/** CSV when asked by `format=csv`, or by an Accept header that names text/csv; JSON otherwise. */
function wantsCsv(format: unknown, accept: string | undefined): boolean {
  if (format !== undefined) {
    if (format === 'csv') return true;
    if (format === 'json') return false;
    throw new TtsError('invalid_request', "format must be 'json' or 'csv'.", { field: 'format' });
  }
  return typeof accept === 'string' && /(^|,)\s*text\/csv\b/i.test(accept);
}

/** The account's usage for a finance team: any face's key reads its own tenant's figures. */
@ApiTags('Usage')
@ApiSecurity('xi-api-key')
@Controller('v1/usage')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiUsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @ApiOperation({
    summary: "The account's usage by period",
    description:
      'Requests, characters, audio seconds, credits charged and refunded, cache hits and failures per UTC hour, day or month, ' +
      'optionally split by API key, voice, provider, face and status. `from` is inclusive and `to` exclusive; each is an ISO 8601 ' +
      'date (midnight UTC) or date-time with an offset (2026-03-01T00:00:00+03:00 is 2026-02-28T21:00Z). Buckets are UTC periods; ' +
      'the first and last are cut to the range. A request counts in the bucket of its start, once it has finished.',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'Inclusive. Default: the start of the current UTC month.',
    example: '2026-03-01',
  })
  @ApiQuery({ name: 'to', required: false, description: 'Exclusive. Default: now.', example: '2026-04-01' })
  @ApiQuery({ name: 'interval', required: false, enum: USAGE_INTERVALS, description: 'Default day.' })
  @ApiQuery({
    name: 'group_by',
    required: false,
    description: `Comma-separated: ${USAGE_DIMENSIONS.join(', ')}.`,
    example: 'api_key,voice',
  })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'], description: 'csv: the buckets as CSV (same as Accept: text/csv).' })
  @ApiProduces('application/json', 'text/csv')
  @ApiOkResponse({ type: SautiUsageReportDto, description: 'JSON, or CSV with one line per bucket.' })
  @SautiProblemResponses(401, 422, 429)
  async report(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SautiUsageReportDto | string> {
    const { format, ...rest } = query;
    const csv = wantsCsv(format, accept);
    for (const name of Object.keys(rest))
      if (!['from', 'to', 'interval', 'group_by'].includes(name))
        throw new TtsError('invalid_request', `Unknown query parameter '${name}'.`, { field: name });
    const report = await this.usage.report(principal.tenantId, parseUsageQuery(rest));
    if (!csv) return report;
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', `attachment; filename="usage-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv"`);
    return usageCsv(report);
  }
}
