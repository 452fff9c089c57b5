import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { parse as parseCookies } from 'cookie';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { AdminAccess, HOW_TO_ENABLE_ADMIN, sameSecret } from './admin-access';
import { ADMIN_SESSION_COOKIE, AdminCaller, AdminRequest, CSRF_HEADER } from './admin-request';
import { AdminSessions } from './admin-sessions';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The admin API's answer while it is off: a 404 that says how to turn it on, and nothing more. */
export function adminDisabled(): TtsError {
  return new TtsError('not_found', `The admin API is off. ${HOW_TO_ENABLE_ADMIN}`, { details: { admin_enabled: false } });
}

export function bearerToken(request: AdminRequest): string | undefined {
  const authorization = request.headers.authorization;
  return typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1] : undefined;
}

export function sessionCookie(request: AdminRequest): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookies(header)[ADMIN_SESSION_COOKIE] || undefined : undefined;
}

/**
 * A browser's request comes from this service's own pages: its Origin (sent by browsers on every
 * cross-origin request and on same-origin POSTs) names this host or PUBLIC_BASE_URL. Absent means not
 * a browser's cross-site request, which scripts with a Bearer token are.
 */
export function sameOrigin(request: AdminRequest, publicBaseUrl: string): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  return host === request.headers.host || host === new URL(publicBaseUrl).host;
}

/**
 * Every admin endpoint: 404 while the admin API is off, 401 without a valid admin token, admin key or
 * dashboard session. A change made with a session cookie must also carry the session's CSRF token in
 * `x-csrf-token` and come from this origin (403 otherwise); SameSite=Strict already keeps the cookie
 * off other sites' requests, and the token covers same-site pages on other ports or subdomains.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly access: AdminAccess,
    private readonly sessions: AdminSessions,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    if (!(await this.access.enabled())) throw adminDisabled();
    request.admin = (await this.fromBearer(request)) ?? (await this.fromSession(request));
    if (request.admin.via === 'session' && !SAFE_METHODS.has(request.method)) this.checkCsrf(request, request.admin);
    return true;
  }

  private async fromBearer(request: AdminRequest): Promise<AdminCaller | undefined> {
    const token = bearerToken(request);
    if (token === undefined) return undefined;
    const identity = await this.access.verify(token);
    if (!identity) throw new TtsError('unauthorized', 'The bearer token is not an admin token or an active admin key.');
    return { identity, via: 'bearer' };
  }

  private async fromSession(request: AdminRequest): Promise<AdminCaller> {
    const secret = sessionCookie(request);
    const session = secret ? await this.sessions.read(secret) : undefined;
    if (!secret || !session || !(await this.access.stillValid(session))) {
      throw new TtsError('unauthorized', 'Sign in with the admin token or an admin key, or send Authorization: Bearer <admin token>.');
    }
    return { identity: session.identity, via: 'session', session, sessionSecret: secret };
  }

  private checkCsrf(request: AdminRequest, caller: AdminCaller): void {
    const presented = request.headers[CSRF_HEADER];
    const tokenOk = typeof presented === 'string' && sameSecret(presented, caller.session!.csrfToken);
    if (!tokenOk || !sameOrigin(request, this.config.http.publicBaseUrl)) {
      throw new TtsError('forbidden', `Refused: a change made with the dashboard session needs its ${CSRF_HEADER} header and this origin.`);
    }
  }
}

/** The operator behind the request; only on routes behind AdminAuthGuard. */
export const CurrentAdmin = createParamDecorator((_data: unknown, context: ExecutionContext): AdminCaller => {
  const admin = context.switchToHttp().getRequest<AdminRequest>().admin;
  if (!admin) throw new Error('CurrentAdmin used on a route without AdminAuthGuard');
  return admin;
});
