import { StreamableFile } from '@nestjs/common';
import type { SpokenAudio } from '../../synthesis/speech.types';

/** The file as base64 text: the copy kept with a cache hit, or encoded now. */
export function base64Of(audio: Pick<SpokenAudio, 'bytes' | 'base64'>): Buffer {
  return audio.base64?.() ?? Buffer.from(audio.bytes.toString('base64'), 'latin1');
}

/**
 * A JSON object whose first field is base64 audio, byte for byte what JSON.stringify would write
 * (base64 has nothing to escape), sent as one buffer: the audio never goes through JSON.stringify or
 * a string-to-bytes copy, and Express does not hash the body for an ETag. Together that was more than
 * a cache hit's own work for a 400 KB WAV.
 */
export function jsonWithBase64(field: string, base64: Buffer, rest: Record<string, unknown>): StreamableFile {
  const tail = JSON.stringify(rest);
  const body = Buffer.concat([
    Buffer.from(`{${JSON.stringify(field)}:"`),
    base64,
    Buffer.from(tail === '{}' ? '"}' : `",${tail.slice(1)}`),
  ]);
  return new StreamableFile(body, { type: 'application/json; charset=utf-8', length: body.length });
}
