import { All, Controller, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServiceRequest } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { allowedMethodsFor } from './sauti-routes';

/**
 * Registered after the face's real controllers: whatever reaches it under the Sauti prefixes matched
 * no route, so it is a 405 (known path, other method, with Allow) or a 404, as a problem document.
 */
@ApiExcludeController()
@Controller()
export class SautiFallbackController {
  @All([
    'v1/text-to-speech',
    'v1/text-to-speech/*rest',
    'v1/tts',
    'v1/tts/*rest',
    'v1/voices',
    'v1/voices/*rest',
    'v1/webhooks',
    'v1/webhooks/*rest',
    'v1/usage',
    'v1/usage/*rest',
    'v1/keys',
    'v1/keys/*rest',
  ])
  unmatched(@Req() request: ServiceRequest): never {
    const allowed = allowedMethodsFor(request.path);
    if (allowed && !allowed.includes(request.method)) {
      throw new TtsError('method_not_allowed', `${request.method} is not allowed on ${request.path}; allowed: ${allowed.join(', ')}.`, {
        details: { allow: allowed.join(', ') },
      });
    }
    throw new TtsError('not_found', `No Sauti endpoint at ${request.method} ${request.path}.`);
  }
}
