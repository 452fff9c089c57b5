import type { Response } from 'express';
import { audioFormatInfo } from '../../audio/audio-format';
import type { StoredResult } from '../../storage/result-store';
import type { CacheStatus } from '../../synthesis/cache/audio-cache.types';
import { CACHE_STATUS_HEADER } from '../shared/cache-control';

/** A single `bytes=` range of a body of `size` bytes, or 'unsatisfiable'; undefined = send it all. */
export function parseByteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Multiple ranges or other units: answering with the whole body is always allowed (RFC 9110 §14.2).
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * Writes task audio as a download. Byte ranges are honoured because browsers' <audio> elements (Safari
 * above all) seek with them when they play the `audioUrl` directly.
 */
export function sendFishAudio(
  response: Response,
  rangeHeader: string | undefined,
  taskId: string,
  result: StoredResult,
  served: { provider: string | null; cache: CacheStatus | null },
  linkExpiresAt: Date,
): void {
  const bytes = result.audio;
  const extension = audioFormatInfo(result.format).extension;
  const maxAge = Math.max(0, Math.floor((linkExpiresAt.getTime() - Date.now()) / 1000));
  response.setHeader('content-type', result.contentType);
  response.setHeader('content-disposition', `attachment; filename="${taskId}.${extension}"`);
  response.setHeader('cache-control', `private, max-age=${maxAge}`);
  response.setHeader('accept-ranges', 'bytes');
  response.setHeader('x-content-type-options', 'nosniff');
  // The URL itself is the permission, so any web page holding it may fetch() the audio, not only <audio>.
  response.setHeader('access-control-allow-origin', '*');
  response.setHeader('access-control-expose-headers', 'Content-Length, Content-Range, Content-Disposition, X-TTS-Provider, X-Cache');
  if (served.provider) response.setHeader('x-tts-provider', served.provider);
  // As the task object's `cache` field says: the task's audio came from the audio cache, or was synthesized.
  if (served.cache) response.setHeader(CACHE_STATUS_HEADER, served.cache);
  const range = parseByteRange(rangeHeader, bytes.length);
  if (range === 'unsatisfiable') {
    response.status(416).setHeader('content-range', `bytes */${bytes.length}`);
    response.setHeader('content-length', '0');
    response.end();
    return;
  }
  const body = range ? bytes.subarray(range.start, range.end + 1) : bytes;
  if (range) response.status(206).setHeader('content-range', `bytes ${range.start}-${range.end}/${bytes.length}`);
  else response.status(200);
  response.setHeader('content-length', String(body.length));
  response.end(body);
}
