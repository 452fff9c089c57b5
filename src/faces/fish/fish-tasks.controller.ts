import { All, Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { IDEMPOTENT_REPLAY_HEADER } from '../../common/http/idempotency-key';
import type { Principal, ServiceRequest } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import type { AudioLinkQuery } from './fish-audio-link.signer';
import { sendFishAudio } from './fish-audio.response';
import { FishCreateTaskPipe } from './fish-create-task.pipe';
import type { FishCreateTaskDto } from './fish-create-task.dto';
import { KeyRateLimitGuard, RateLimit, RateLimitedByHandler } from '../../tenants/key-rate-limit';
import { FISH_TASK_AUDIO_PATH, FISH_TASK_PATH, FISH_TASKS_PATH, fishTaskPath } from './fish-routes';
import type { FishTaskView } from './fish-task.mapper';
import { FishTasksService } from './fish-tasks.service';

/** The origin the client called (trusted proxies on loopback may say https). */
function originOf(request: ServiceRequest): string {
  return `${request.protocol}://${request.get('host')}`;
}

function methodNotAllowed(allow: string): TtsError {
  return new TtsError('method_not_allowed', `This path accepts ${allow.split(', ').join(' and ')} only.`, { details: { allow } });
}

/** Async TTS tasks: create, poll, download through the signed link. */
@Controller('api/open/v1')
export class FishTasksController {
  constructor(private readonly tasks: FishTasksService) {}

  @Post(FISH_TASKS_PATH)
  @HttpCode(202)
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimitedByHandler()
  async create(
    @CurrentPrincipal() principal: Principal,
    // Typed loosely so the global whitelist pipe skips it; FishCreateTaskPipe validates with Fish's rules.
    @Body(FishCreateTaskPipe) body: Record<string, unknown>,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('cache-control') cacheControl: string | undefined,
    @Req() request: ServiceRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<FishTaskView> {
    const dto = body as unknown as FishCreateTaskDto;
    const { task, created } = await this.tasks.create(principal, dto, { idempotencyKey, cacheControl }, originOf(request), response);
    response.setHeader('location', fishTaskPath(task.id));
    if (!created) response.setHeader(IDEMPOTENT_REPLAY_HEADER, 'true');
    return task;
  }

  @Get(FISH_TASK_PATH)
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimit('job_polls')
  get(@CurrentPrincipal() principal: Principal, @Param('taskId') taskId: string, @Req() request: ServiceRequest): Promise<FishTaskView> {
    return this.tasks.get(principal, taskId, originOf(request));
  }

  /** No API key: browsers and players fetch it directly; the signature is the permission. */
  @Get(FISH_TASK_AUDIO_PATH)
  async audio(
    @Param('taskId') taskId: string,
    @Query() query: AudioLinkQuery,
    @Headers('range') range: string | undefined,
    @Res() response: Response,
  ): Promise<void> {
    const { result, provider, cache, linkExpiresAt } = await this.tasks.audio(taskId, query);
    sendFishAudio(response, range, taskId, result, { provider, cache }, linkExpiresAt);
  }

  // Declared last: Express tries routes in order, so these only see methods the routes above do not take.
  @All(FISH_TASKS_PATH)
  tasksMethodNotAllowed(): never {
    throw methodNotAllowed('POST');
  }

  @All(FISH_TASK_PATH)
  taskMethodNotAllowed(): never {
    throw methodNotAllowed('GET, HEAD');
  }

  @All(FISH_TASK_AUDIO_PATH)
  audioMethodNotAllowed(): never {
    throw methodNotAllowed('GET, HEAD');
  }
}
