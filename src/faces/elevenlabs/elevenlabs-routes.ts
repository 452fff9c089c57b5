/**
 * Where the ElevenLabs face lives: its own prefix, so an ElevenLabs SDK is pointed at
 * `https://host/elevenlabs` and every path under it is ElevenLabs' own. A prefix rather than a
 * signal on shared paths: the SDK's `convert` sends exactly what a Sauti client sends to
 * `/v1/text-to-speech/{id}` (`{"text": …}`, an any-type `Accept`), and the two answers differ (binary
 * audio here, JSON with base64 WAV there), so one path cannot serve both (docs/elevenlabs-api.md).
 */
export const ELEVENLABS_PREFIX = '/elevenlabs';

/** Nest controller paths under the prefix. */
export const elevenLabsPath = (path: string): string => `${ELEVENLABS_PREFIX.slice(1)}/${path}`;

export function elevenLabsOwnsPath(path: string): boolean {
  return path === ELEVENLABS_PREFIX || path.startsWith(`${ELEVENLABS_PREFIX}/`);
}
