import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { Principal, ServiceRequest } from '../common/request-context';
import { TtsError } from '../common/tts-error';
import { ApiKeysService } from './api-keys.service';

/** The key from `xi-api-key` (Sauti/ElevenLabs clients) or `Authorization: Bearer` (Fish, OpenAI, Bifrost). */
export function presentedApiKey(request: ServiceRequest): string | undefined {
  const header = request.headers['xi-api-key'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const authorization = request.headers.authorization;
  const match = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return match?.[1];
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const key = presentedApiKey(request);
    if (!key)
      throw new TtsError('unauthorized', 'An API key is required: send it in the xi-api-key header or as Authorization: Bearer <key>.');
    const principal = await this.apiKeys.authenticate(key);
    if (!principal) throw new TtsError('unauthorized', 'The API key is not valid or has been revoked.');
    request.principal = principal;
    return true;
  }
}

/** The authenticated caller; use only on routes behind ApiKeyGuard. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<ServiceRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without ApiKeyGuard');
  return principal;
});
