import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { abortOnDisconnect } from '../../common/http/abort-on-disconnect';
import type { ServiceRequest } from '../../common/request-context';
import { AdminErrorResponses } from '../admin-openapi';
import { AdminAuthGuard } from '../auth/admin-auth.guard';
import { ADMIN_SESSION_COOKIE } from '../auth/admin-request';
import { AdminRouteChoiceDto, AdminTryDto, AdminTryResultDto } from './admin-try.dto';
import { AdminTryService } from './admin-try.service';

@ApiTags('Admin: try it')
@ApiBearerAuth('admin-token')
@ApiCookieAuth(ADMIN_SESSION_COOKIE)
@Controller('admin/v1')
@UseGuards(AdminAuthGuard)
export class AdminTryController {
  constructor(private readonly tryIt: AdminTryService) {}

  @Get('routes')
  @ApiOperation({ summary: 'Voices and provider/model routes that can be tried' })
  @ApiOkResponse({ type: [AdminRouteChoiceDto] })
  @AdminErrorResponses(401, 404)
  routes(): AdminRouteChoiceDto[] {
    return this.tryIt.choices();
  }

  @Post('try')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Speak a text (up to 2,000 characters) as WAV, billed to the chosen tenant',
    description: 'The same use case as a Sauti sync request: credits reserved, the route’s providers tried, settled or released.',
  })
  @ApiOkResponse({ type: AdminTryResultDto })
  @AdminErrorResponses(400, 401, 402, 403, 404, 422, 502, 503)
  speak(
    @Body() body: AdminTryDto,
    @Req() request: ServiceRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<AdminTryResultDto> {
    return abortOnDisconnect(response, (signal) => this.tryIt.speak(body, { requestId: request.id, signal }));
  }
}
