import type { Response } from 'supertest';
import { decodeWav } from '../../src/audio/wav';

/** Asserts an RFC 7807 problem of this face: content type, type URL under the public base URL, status, detail. */
export function expectProblem(response: Response, publicBaseUrl: string, status: number, slug: string, detail?: string | RegExp): void {
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}: ${response.text}`);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.text);
  expect(body).toMatchObject({ type: `${publicBaseUrl}/errors/${slug}`, status });
  expect(typeof body.title).toBe('string');
  expect(body.request_id).toBe(response.headers['x-request-id']);
  if (typeof detail === 'string') expect(body.detail).toBe(detail);
  else if (detail) expect(body.detail).toMatch(detail);
}

/** Texts of exactly `count` code points, cycling through `unit` (which may hold multi-byte characters). */
export function textOf(count: number, unit = 'Habari za asubuhi. '): string {
  const units = [...unit];
  return Array.from({ length: count }, (_, index) => units[index % units.length]).join('');
}

export const ISO_SECONDS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The WAV the face promises: 16-bit PCM, mono, at `sampleRate`, with some audio in it. */
export function expectSautiWav(bytes: Buffer, sampleRate = 16000): { durationSeconds: number } {
  expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
  expect(bytes.subarray(8, 12).toString('latin1')).toBe('WAVE');
  const wav = decodeWav(bytes);
  expect(wav.sampleRate).toBe(sampleRate);
  expect(wav.channels).toBe(1);
  expect(bytes.readUInt16LE(20)).toBe(1); // PCM
  expect(bytes.readUInt16LE(34)).toBe(16); // bits per sample
  const durationSeconds = wav.samples.length / sampleRate;
  expect(durationSeconds).toBeGreaterThan(0.1);
  return { durationSeconds };
}
