import { TtsError } from '../../../src/common/tts-error';
import { ElevenLabsErrorEnvelope } from '../../../src/faces/elevenlabs/elevenlabs-error.envelope';
import { parseOutputFormat } from '../../../src/faces/elevenlabs/elevenlabs-output-format';
import { parseElevenLabsSpeech } from '../../../src/faces/elevenlabs/elevenlabs-request.parser';
import type { ServiceRequest } from '../../../src/common/request-context';

describe('ElevenLabs face: output_format, body and errors', () => {
  it.each([
    ['mp3_22050_32', 'mp3', 22050, 32],
    ['mp3_44100_192', 'mp3', 44100, 192],
    ['pcm_44100', 'pcm', 44100, undefined],
    ['ulaw_8000', 'ulaw', 8000, undefined],
    ['alaw_8000', 'alaw', 8000, undefined],
    ['opus_48000_96', 'opus', 48000, 96],
  ])('%s is %s at %i Hz, %s kbit/s', (name, format, sampleRate, bitrateKbps) => {
    expect(parseOutputFormat(name)).toEqual({ name, format, sampleRate, ...(bitrateKbps ? { bitrateKbps } : {}) });
  });

  it('the default is mp3_44100_128; anything not offered is refused naming the parameter', () => {
    expect(parseOutputFormat(undefined)).toMatchObject({ format: 'mp3', sampleRate: 44100, bitrateKbps: 128 });
    for (const bad of ['mp3_44100_320', 'wav_44100', 'pcm_11025', ['mp3_44100_128']]) {
      expect(() => parseOutputFormat(bad)).toThrow(expect.objectContaining({ code: 'invalid_request', field: 'output_format' }));
    }
  });

  it('honours text, speed and language; lists what it cannot honour; ignores unknown fields as ElevenLabs does', () => {
    const sut = parseElevenLabsSpeech(
      'v',
      {
        text: 'Habari',
        language_code: 'sw',
        voice_settings: { speed: 1.1, stability: 0.3, similarity_boost: 0.8, style: 0, use_speaker_boost: true },
        seed: 42,
        previous_text: 'Jana',
        next_text: '',
        pronunciation_dictionary_locators: [],
        apply_text_normalization: 'off',
        some_future_field: 1,
      },
      { output_format: 'pcm_16000', optimize_streaming_latency: '2', enable_logging: 'false' },
    );
    expect(sut.synthesis).toMatchObject({
      text: 'Habari',
      characters: 6,
      route: 'v',
      format: 'pcm',
      language: 'sw',
      output: { sampleRate: 16000 },
    });
    expect(sut.synthesis.settings.speakingRate).toBe(1.1);
    expect(sut.unhonoured).toEqual([
      'voice_settings.stability',
      'voice_settings.similarity_boost',
      'voice_settings.style',
      'voice_settings.use_speaker_boost',
      'seed',
      'previous_text',
      'apply_text_normalization',
      'optimize_streaming_latency',
    ]);
  });

  it.each([
    [{ text: 5 }, 'text'],
    [{ text: '   ' }, 'text'],
    [{ text: 'a', voice_settings: { speed: 0.5 } }, 'voice_settings.speed'],
    [{ text: 'a', voice_settings: { stability: 2 } }, 'voice_settings.stability'],
    [{ text: 'a', voice_settings: 'fast' }, 'voice_settings'],
    [{ text: 'a', seed: -1 }, 'seed'],
    [{ text: 'a', apply_text_normalization: 'always' }, 'apply_text_normalization'],
    [{ text: 'a', pronunciation_dictionary_locators: {} }, 'pronunciation_dictionary_locators'],
  ])('%j is a validation error on %s', (body, field) => {
    expect(() => parseElevenLabsSpeech('v', body, {})).toThrow(expect.objectContaining({ code: 'invalid_request', field }));
  });

  it('more than 5,000 characters is 400 max_character_limit_exceeded', () => {
    const error = (() => {
      try {
        parseElevenLabsSpeech('v', { text: 'a'.repeat(5001) }, {});
      } catch (thrown) {
        return thrown as TtsError;
      }
      throw new Error('accepted');
    })();
    const rendered = new ElevenLabsErrorEnvelope().render(error, { id: 'req-1' } as ServiceRequest);
    expect(rendered.status).toBe(400);
    expect(rendered.body).toEqual({
      detail: { status: 'max_character_limit_exceeded', message: expect.stringContaining('5001 characters') },
    });
    expect(rendered.headers).toMatchObject({ 'request-id': 'req-1' });
  });

  it('renders validation as a pydantic list located in the body or the query, and a 503 with Retry-After', () => {
    const sut = new ElevenLabsErrorEnvelope();
    const request = { id: 'r' } as ServiceRequest;
    const body = sut.render(
      new TtsError('invalid_request', 'Input should be a valid number', {
        field: 'voice_settings.speed',
        details: { type: 'float_type', input: 'x' },
      }),
      request,
    );
    expect(body).toMatchObject({
      status: 422,
      body: {
        detail: [{ type: 'float_type', loc: ['body', 'voice_settings', 'speed'], msg: 'Input should be a valid number', input: 'x' }],
      },
    });
    const query = sut.render(new TtsError('invalid_request', 'bad', { field: 'page_size' }), request);
    expect(query.body).toEqual({ detail: [{ type: 'value_error', loc: ['query', 'page_size'], msg: 'bad' }] });
    const json = sut.render(new TtsError('malformed_request', 'JSON decode error'), request);
    expect(json.body).toEqual({ detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error' }] });
    const down = sut.render(new TtsError('service_unavailable', 'The database is unavailable.'), request);
    expect(down).toMatchObject({ status: 503, headers: { 'retry-after': '5' } });
  });
});
