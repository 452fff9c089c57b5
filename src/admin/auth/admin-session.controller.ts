import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { RateLimiter } from '../../tenants/rate-limiter';
import { AdminErrorResponses } from '../admin-openapi';
import { AdminAccess } from './admin-access';
import { adminDisabled, AdminAuthGuard, CurrentAdmin, sameOrigin } from './admin-auth.guard';
import { ADMIN_COOKIE_PATH, ADMIN_SESSION_COOKIE, AdminCaller, AdminRequest } from './admin-request';
import { AdminSessionDto, AdminSignInDto } from './admin-session.dto';
import { AdminSessions } from './admin-sessions';

/** Sign-in attempts per client address per minute: a token cannot be guessed, but a log can be flooded. */
const SIGN_IN_ATTEMPTS_PER_MINUTE = 10;
/** The cookie's own lifetime; the server ends idle sessions much sooner (ADMIN_SESSION_IDLE_MINUTES). */
const COOKIE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

@ApiTags('Admin: session')
@Controller('admin/v1/session')
export class AdminSessionController {
  constructor(
    private readonly access: AdminAccess,
    private readonly sessions: AdminSessions,
    private readonly limiter: RateLimiter,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @UseGuards(AdminAuthGuard)
  @ApiCookieAuth(ADMIN_SESSION_COOKIE)
  @ApiBearerAuth('admin-token')
  @ApiOperation({ summary: 'Who is signed in (and the CSRF token of the dashboard session)' })
  @ApiOkResponse({ type: AdminSessionDto })
  @AdminErrorResponses(401, 404)
  show(@CurrentAdmin() admin: AdminCaller): AdminSessionDto {
    return this.describe(admin);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in to the dashboard',
    description: `Sets an HttpOnly, SameSite=Strict session cookie (Secure on https). ${SIGN_IN_ATTEMPTS_PER_MINUTE} attempts per minute per address.`,
  })
  @ApiOkResponse({ type: AdminSessionDto })
  @AdminErrorResponses(401, 403, 404, 422, 429)
  async signIn(@Body() body: AdminSignInDto, @Req() request: AdminRequest, @Res({ passthrough: true }) response: Response) {
    if (!(await this.access.enabled())) throw adminDisabled();
    if (!sameOrigin(request, this.config.http.publicBaseUrl)) throw new TtsError('forbidden', 'Sign in from this service’s own page.');
    await this.limiter.enforce(request.ip ?? 'unknown', [{ bucket: 'admin_sign_in', limit: SIGN_IN_ATTEMPTS_PER_MINUTE }]);
    const identity = await this.access.verify(body.token.trim());
    if (!identity) throw new TtsError('unauthorized', 'That is not the admin token or an active admin key.', { field: 'token' });
    const { secret, session } = await this.sessions.open(identity);
    response.cookie(ADMIN_SESSION_COOKIE, secret, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.secure,
      path: ADMIN_COOKIE_PATH,
      maxAge: COOKIE_MAX_AGE_MS,
    });
    return this.describe({ identity, via: 'session', session });
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(AdminAuthGuard)
  @ApiCookieAuth(ADMIN_SESSION_COOKIE)
  @ApiOperation({ summary: 'Sign out: ends the session everywhere (needs x-csrf-token)' })
  @ApiNoContentResponse()
  @AdminErrorResponses(401, 403, 404)
  async signOut(@CurrentAdmin() admin: AdminCaller, @Req() request: AdminRequest, @Res({ passthrough: true }) response: Response) {
    if (admin.sessionSecret) await this.sessions.close(admin.sessionSecret);
    response.clearCookie(ADMIN_SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: request.secure, path: ADMIN_COOKIE_PATH });
  }

  private describe(admin: AdminCaller): AdminSessionDto {
    return {
      signed_in_as: { kind: admin.identity.kind, name: admin.identity.name },
      via: admin.via,
      ...(admin.session ? { csrf_token: admin.session.csrfToken } : {}),
      refresh_seconds: this.config.admin.refreshSeconds,
    };
  }
}
