import { errorFromResponse, extractUpstreamMessage, parseRetryAfter } from '../../../src/providers/http/upstream-error';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the upstream error normaliser', () => {
  it.each([
    ['OpenAI', { error: { message: 'Invalid voice', type: 'invalid_request_error', param: 'voice' } }, 'Invalid voice'],
    ['ElevenLabs object', { detail: { status: 'voice_not_found', message: 'Voice not found' } }, 'Voice not found'],
    ['ElevenLabs string', { detail: 'Unauthorized' }, 'Unauthorized'],
    [
      'RFC 7807',
      { type: 'about:blank', title: 'Unprocessable Content', status: 422, detail: "Field 'text' is too long." },
      "Field 'text' is too long.",
    ],
    ['FastAPI', { detail: [{ loc: ['body', 'input'], msg: 'field required', type: 'value_error.missing' }] }, 'field required'],
    ['Fish/Bifrost', { status: 400, code: 'bad', message: 'bad text' }, 'bad text'],
  ])('reads the message of a %s error', (_dialect, body, message) => {
    expect(extractUpstreamMessage(json(body))).toBe(message);
  });

  it('keeps plain text, drops HTML pages and clips long messages', () => {
    expect(extractUpstreamMessage(Buffer.from('upstream overloaded'))).toBe('upstream overloaded');
    expect(extractUpstreamMessage(Buffer.from('<html><body>502 Bad Gateway</body></html>'))).toBeUndefined();
    expect(extractUpstreamMessage(Buffer.from('x'.repeat(2000)))?.length).toBeLessThanOrEqual(501);
  });

  it('classifies statuses: request faults fail fast, transient ones retry, configuration faults move on', () => {
    expect(errorFromResponse('up', 422, json({ detail: 'no' }), null)).toMatchObject({
      code: 'provider_rejected',
      upstreamStatus: 422,
      retryable: false,
    });
    expect(errorFromResponse('up', 503, Buffer.alloc(0), '2')).toMatchObject({
      code: 'provider_unavailable',
      retryable: true,
      retryAfterMs: 2000,
    });
    expect(errorFromResponse('up', 429, Buffer.alloc(0), null)).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(errorFromResponse('up', 401, json({ error: { message: 'bad key' } }), null)).toMatchObject({
      code: 'provider_unavailable',
      retryable: false,
      message: 'up answered HTTP 401: bad key',
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
