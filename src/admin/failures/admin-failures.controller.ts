import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminErrorResponses } from '../admin-openapi';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { ADMIN_SESSION_COOKIE } from '../auth/admin-request';
import { AdminFailureListDto, AdminFailureQueryDto } from './admin-failures.dto';
import { AdminFailuresService } from './admin-failures.service';

@ApiTags('Admin: failures')
@ApiBearerAuth('admin-token')
@ApiCookieAuth(ADMIN_SESSION_COOKIE)
@Controller('admin/v1/failures')
@UseGuards(AdminAuthGuard)
export class AdminFailuresController {
  constructor(private readonly failures: AdminFailuresService) {}

  @Get()
  @ApiOperation({
    summary: 'The last failed jobs and requests, newest first',
    description:
      'Jobs that failed (kept until they expire, then still listed as expired) and requests answered with a 5xx or after their providers failed, with the error code, every provider attempt and the request id.',
  })
  @ApiOkResponse({ type: AdminFailureListDto })
  @AdminErrorResponses(401, 404, 422)
  list(@Query() query: AdminFailureQueryDto): Promise<AdminFailureListDto> {
    return this.failures.recent(query);
  }
}
