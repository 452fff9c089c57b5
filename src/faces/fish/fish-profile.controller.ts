import { All, Controller, Get, UseGuards } from '@nestjs/common';
import type { Principal } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ApiKeyGuard, CurrentPrincipal } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard, RateLimit } from '../../tenants/key-rate-limit';
import { FISH_PROFILE_PATH } from './fish-routes';
import { FishProfileView, FishTasksService } from './fish-tasks.service';

/** "Check Profile before adding a large number of tasks": balance, holds, limits, tasks in flight. */
@Controller('api/open/v1')
export class FishProfileController {
  constructor(private readonly tasks: FishTasksService) {}

  @Get(FISH_PROFILE_PATH)
  @UseGuards(ApiKeyGuard, KeyRateLimitGuard)
  @RateLimit('requests')
  show(@CurrentPrincipal() principal: Principal): Promise<FishProfileView> {
    return this.tasks.profile(principal);
  }

  @All(FISH_PROFILE_PATH)
  methodNotAllowed(): never {
    throw new TtsError('method_not_allowed', 'This path accepts GET only.', { details: { allow: 'GET, HEAD' } });
  }
}
