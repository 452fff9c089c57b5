import { Readable } from 'node:stream';
import { base64Of, jsonWithBase64 } from '../../../src/faces/shared/json-with-audio';

async function bodyOf(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts).toString();
}

describe('jsonWithBase64: a JSON answer carrying base64 audio', () => {
  const audio = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255, 62, 63]);

  it('writes exactly what JSON.stringify writes, with the JSON content type and length', async () => {
    const rest = { content_type: 'audio/wav', duration_seconds: 1.25, note: 'quote " and \\ and ü', voice_id: 'sauti-swahili-v1' };
    const file = jsonWithBase64('audio_base64', base64Of({ bytes: audio }), rest);
    const body = await bodyOf(file.getStream());
    expect(body).toBe(JSON.stringify({ audio_base64: audio.toString('base64'), ...rest }));
    expect(file.getHeaders().type).toBe('application/json; charset=utf-8');
    expect(file.getHeaders().length).toBe(Buffer.byteLength(body));
  });

  it('with no other field, and with empty audio', async () => {
    expect(await bodyOf(jsonWithBase64('audio', base64Of({ bytes: audio }), {}).getStream())).toBe(
      JSON.stringify({ audio: audio.toString('base64') }),
    );
    expect(await bodyOf(jsonWithBase64('audio', base64Of({ bytes: Buffer.alloc(0) }), { a: 1 }).getStream())).toBe('{"audio":"","a":1}');
  });

  it("uses the copy's text when the audio carries one", () => {
    const kept = Buffer.from('kept');
    expect(base64Of({ bytes: audio, base64: () => kept })).toBe(kept);
  });
});
