import { All, Controller, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServiceRequest } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { ELEVENLABS_PREFIX, elevenLabsPath } from './elevenlabs-routes';

/** The face's paths and their methods, for 405 with Allow (FastAPI's answer) rather than 404 on a known path. */
const KNOWN_PATHS: Array<[RegExp, string]> = [
  [/^\/v1\/text-to-speech\/[^/]+(\/stream)?(\/with-timestamps)?$/, 'POST'],
  [/^\/v1\/voices(\/[^/]+)?$/, 'GET'],
  [/^\/v2\/voices$/, 'GET'],
  [/^\/v1\/models$/, 'GET'],
  [/^\/v1\/user(\/subscription)?$/, 'GET'],
];

/** Registered after the face's controllers: anything under /elevenlabs that matched none of them. */
@ApiExcludeController()
@Controller()
export class ElevenLabsFallbackController {
  @All([elevenLabsPath('').replace(/\/$/, ''), elevenLabsPath('*rest')])
  unmatched(@Req() request: ServiceRequest): never {
    const path = request.path.slice(ELEVENLABS_PREFIX.length).replace(/\/+$/, '');
    const known = KNOWN_PATHS.find(([pattern]) => pattern.test(path));
    if (known) throw new TtsError('method_not_allowed', 'Method Not Allowed', { details: { allow: known[1] } });
    throw new TtsError('not_found', 'Not Found');
  }
}
