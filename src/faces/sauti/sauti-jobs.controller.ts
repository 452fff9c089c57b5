import { CACHE_STATUS_HEADER } from '../shared/cache-control';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { Principal, ServiceRequest } from '../../common/request-context';
import { JobService } from '../../jobs/job.service';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { SautiCreateJobDto, SautiJobAcceptedDto, SautiJobStatusDto } from './sauti-job.dto';
import { SautiProblemResponses } from './sauti-openapi';
import { KeyRateLimitGuard, RateLimit, RateLimitedByHandler } from '../../tenants/key-rate-limit';
import { parseIdempotencyKey } from './sauti-request.parser';
import { SAUTI_HEADERS, setCostHeaders, toJobAccepted, toJobStatus } from './sauti-response.mapper';
import { SautiSynthesisService } from './sauti-synthesis.service';

@ApiTags('Async Jobs')
@ApiSecurity('xi-api-key')
@Controller('v1/tts/jobs')
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class SautiJobsController {
  constructor(
    private readonly sauti: SautiSynthesisService,
    private readonly jobs: JobService,
  ) {}

  @Post()
  @RateLimitedByHandler()
  @HttpCode(202)
  @ApiOperation({ summary: 'Create an async synthesis job' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retrying with the same key and body returns the same job instead of a new one.',
  })
  @ApiHeader({
    name: 'Cache-Control',
    required: false,
    description: '`no-store`: the job neither reads nor fills the audio cache.',
  })
  @ApiBody({ type: SautiCreateJobDto })
  @ApiAcceptedResponse({ type: SautiJobAcceptedDto })
  @SautiProblemResponses(401, 402, 404, 413, 415, 422, 429)
  async create(
    // `unknown`: validated by the Sauti parser with the document's wording, not by the global pipe.
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('cache-control') cacheControl: string | undefined,
    @Req() request: ServiceRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SautiJobAcceptedDto> {
    const context = {
      tenantId: request.principal!.tenantId,
      apiKeyId: request.principal!.apiKeyId,
      limits: request.principal!.limits,
      requestId: request.id,
      idempotencyKey: parseIdempotencyKey(idempotencyKey),
      cacheControl,
      response,
    };
    const { job, created } = await this.sauti.createJob(body, context);
    setCostHeaders(response, job.characters, job.credits, 'reserved');
    if (!created) response.setHeader(SAUTI_HEADERS.idempotentReplay, 'true');
    return toJobAccepted(job);
  }

  @Get(':job_id')
  @RateLimit('job_polls')
  @ApiOperation({ summary: 'Get job status', description: 'queued → running → succeeded or failed.' })
  @ApiParam({ name: 'job_id', example: 'job_abc123' })
  @ApiOkResponse({ type: SautiJobStatusDto })
  @SautiProblemResponses(401, 404, 429)
  async status(@CurrentPrincipal() principal: Principal, @Param('job_id') jobId: string): Promise<SautiJobStatusDto> {
    return toJobStatus(await this.jobs.get(principal.tenantId, jobId));
  }

  @Get(':job_id/audio')
  @RateLimit('job_polls')
  @ApiOperation({ summary: 'Download audio', description: 'audio/wav bytes once the job has succeeded; 409 Conflict before.' })
  @ApiParam({ name: 'job_id', example: 'job_abc123' })
  @ApiProduces('audio/wav')
  @ApiOkResponse({
    description: 'The WAV file.',
    content: { 'audio/wav': { schema: { type: 'string', format: 'binary' } } },
    headers: {
      'x-cache': {
        description: '`hit` (answered from the audio cache, charged the hit price), `miss` or `bypass`',
        schema: { type: 'string' },
      },
    },
  })
  @SautiProblemResponses(401, 404, 409, 429)
  async audio(
    @CurrentPrincipal() principal: Principal,
    @Param('job_id') jobId: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    const { job, result } = await this.jobs.getAudio(principal.tenantId, jobId);
    if (job.provider) response.setHeader(SAUTI_HEADERS.provider, job.provider);
    if (job.cacheStatus) response.setHeader(CACHE_STATUS_HEADER, job.cacheStatus);
    setCostHeaders(response, job.characters, job.creditsCharged ?? job.credits, 'charged');
    return new StreamableFile(result.audio, {
      type: result.contentType,
      length: result.audio.length,
      disposition: `attachment; filename="${job.id}.${result.format}"`,
    });
  }
}
