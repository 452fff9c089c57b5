import { AppConfig } from '../../../src/config/app-config';
import { FishAudioLinkSigner } from '../../../src/faces/fish/fish-audio-link.signer';
import { parseByteRange } from '../../../src/faces/fish/fish-audio.response';
import { RootLogger } from '../../../src/logging/root-logger';

function signerWith(overrides: Record<string, string> = {}): FishAudioLinkSigner {
  const config = AppConfig.load({ ...process.env, ...overrides });
  return new FishAudioLinkSigner(config, new RootLogger(config));
}

function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

describe('FishAudioLinkSigner', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const sut = signerWith({ AUDIO_URL_TTL_SECONDS: '600', AUDIO_URL_KEY_ID: 'k7' });

  it('signs a link on the caller origin that verifies for its task until it expires', () => {
    const link = sut.sign('job_a', 'http://127.0.0.1:4000', null, now);
    expect(link.url).toMatch(
      /^http:\/\/127\.0\.0\.1:4000\/api\/open\/v1\/speech\/tts\/jobs\/job_a\/audio\?expires=\d+&kid=k7&signature=[A-Za-z0-9_-]{43}$/,
    );
    expect(link.expiresAt.toISOString()).toBe('2026-01-01T00:10:00.000Z');
    expect(() => sut.verify('job_a', queryOf(link.url), new Date(now.getTime() + 599_000))).not.toThrow();
    expect(() => sut.verify('job_a', queryOf(link.url), new Date(now.getTime() + 600_000))).toThrow(
      expect.objectContaining({ code: 'link_expired' }),
    );
  });

  it('never outlives the result', () => {
    const link = sut.sign('job_a', 'http://h', new Date(now.getTime() + 60_000), now);
    expect(link.expiresAt.getTime()).toBe(now.getTime() + 60_000);
  });

  it('refuses another task, an edited expiry, another key id, another secret and malformed parts with forbidden', () => {
    const query = queryOf(sut.sign('job_a', 'http://h', null, now).url);
    const forbidden = expect.objectContaining({ code: 'forbidden' });
    expect(() => sut.verify('job_b', query, now)).toThrow(forbidden);
    expect(() => sut.verify('job_a', { ...query, expires: String(Number(query.expires) + 1) }, now)).toThrow(forbidden);
    expect(() => sut.verify('job_a', { ...query, kid: 'k1' }, now)).toThrow(forbidden);
    expect(() =>
      signerWith({ AUDIO_URL_KEY_ID: 'k7', AUDIO_URL_SIGNING_SECRET: 'another-secret-of-at-least-32-characters' }).verify(
        'job_a',
        query,
        now,
      ),
    ).toThrow(forbidden);
    expect(() => sut.verify('job_a', { ...query, signature: `${query.signature}=` }, now)).toThrow(forbidden);
    expect(() => sut.verify('job_a', { ...query, signature: ['a', 'b'] }, now)).toThrow(forbidden);
    expect(() => sut.verify('job_a', { expires: query.expires, kid: query.kid }, now)).toThrow(forbidden);
  });

  it('an expired link with a forged signature is forbidden, not expired', () => {
    const query = queryOf(sut.sign('job_a', 'http://h', null, now).url);
    expect(() => sut.verify('job_b', query, new Date(now.getTime() + 3_600_000))).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });

  it('AUDIO_URL_BASE_URL replaces the caller origin', () => {
    const link = signerWith({ AUDIO_URL_BASE_URL: 'https://tts.example.com/' }).sign('job_a', 'http://127.0.0.1:4000', null, now);
    expect(link.url.startsWith('https://tts.example.com/api/open/v1/speech/tts/jobs/job_a/audio?')).toBe(true);
  });
});

describe('parseByteRange', () => {
  it.each<[string | undefined, ReturnType<typeof parseByteRange>]>([
    [undefined, undefined],
    ['bytes=0-9', { start: 0, end: 9 }],
    ['bytes=90-', { start: 90, end: 99 }],
    ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=50-500', { start: 50, end: 99 }],
    ['bytes=100-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=9-3', 'unsatisfiable'],
    ['bytes=0-1,5-6', undefined],
    ['items=0-1', undefined],
  ])('%s on 100 bytes', (header, expected) => {
    expect(parseByteRange(header, 100)).toEqual(expected);
  });
});
