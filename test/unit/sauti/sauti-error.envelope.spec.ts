import type { ServiceRequest } from '../../../src/common/request-context';
import { TTS_ERROR_CODES, TtsError } from '../../../src/common/tts-error';
import { SautiErrorEnvelope, sautiProblemKind } from '../../../src/faces/sauti/sauti-error.envelope';

describe('SautiErrorEnvelope', () => {
  const sut = new SautiErrorEnvelope('https://sauti.example.test');
  const request = { id: 'req-1', path: '/v1/text-to-speech/x', originalUrl: '/v1/text-to-speech/x?debug=1' } as ServiceRequest;

  it('owns exactly its prefixes, segment-wise', () => {
    for (const path of ['/v1/text-to-speech/a', '/v1/tts', '/v1/tts/jobs/job_1/audio', '/v1/voices', '/v1/voices/a'])
      expect(sut.owns(path)).toBe(true);
    for (const path of ['/v1/ttsx', '/v1/voicesx', '/v1/audio/speech', '/health/live', '/docs']) expect(sut.owns(path)).toBe(false);
  });

  it('renders the document’s 422 problem', () => {
    const rendered = sut.render(
      new TtsError('invalid_request', "Field 'text' exceeds the maximum length of 5000 characters.", { field: 'text' }),
      request,
    );
    expect(rendered).toMatchObject({ status: 422, contentType: 'application/problem+json' });
    expect(rendered.body).toEqual({
      type: 'https://sauti.example.test/errors/unprocessable_content',
      title: 'Unprocessable Content',
      status: 422,
      detail: "Field 'text' exceeds the maximum length of 5000 characters.",
      instance: '/v1/text-to-speech/x',
      code: 'invalid_request',
      field: 'text',
      request_id: 'req-1',
    });
  });

  it('maps every domain code to a 4xx/5xx problem whose status matches its body', () => {
    for (const code of TTS_ERROR_CODES) {
      const rendered = sut.render(new TtsError(code, 'message'), request);
      expect(rendered.status).toBeGreaterThanOrEqual(400);
      expect((rendered.body as { status: number }).status).toBe(rendered.status);
      expect((rendered.body as { type: string }).type).toBe(`https://sauti.example.test/errors/${sautiProblemKind(code).slug}`);
    }
  });

  it('lists the providers tried when routing failed, without their messages', () => {
    const attempts = [
      {
        provider: 'primary',
        voice: 'alloy',
        outcome: 'provider_timeout',
        durationMs: 912.4,
        retries: 2,
        message: 'primary did not answer in time (300 ms)',
      },
      {
        provider: 'espeak',
        voice: 'sw',
        outcome: 'provider_unavailable',
        durationMs: 3.2,
        retries: 0,
        message: 'environment variable X is not set',
      },
    ];
    const rendered = sut.render(new TtsError('all_providers_failed', 'Every provider failed.', { details: { attempts } }), request);
    expect(rendered.status).toBe(503);
    expect((rendered.body as { attempts: unknown }).attempts).toEqual([
      { provider: 'primary', outcome: 'provider_timeout', duration_ms: 912, retries: 2 },
      { provider: 'espeak', outcome: 'provider_unavailable', duration_ms: 3, retries: 0 },
    ]);
    expect(JSON.stringify(rendered.body)).not.toContain('not set');
    expect(sut.render(new TtsError('internal', 'x'), request).body).not.toHaveProperty('attempts');
    // A client that hung up, or a request the upstream refused, is not a routing outage.
    expect(sut.render(new TtsError('provider_rejected', 'no', { details: { attempts } }), request).body).not.toHaveProperty('attempts');
  });

  it('adds WWW-Authenticate to 401, Allow to 405 and a default Retry-After to 503', () => {
    expect(sut.render(new TtsError('unauthorized', 'no key'), request).headers).toHaveProperty('www-authenticate');
    expect(sut.render(new TtsError('method_not_allowed', 'no', { details: { allow: 'POST' } }), request).headers).toEqual({
      allow: 'POST',
    });
    expect(sut.render(new TtsError('all_providers_failed', 'down'), request).headers).toEqual({ 'retry-after': '5' });
    expect(sut.render(new TtsError('provider_unavailable', 'down', { retryAfterSeconds: 30 }), request).headers).toEqual({});
  });
});
