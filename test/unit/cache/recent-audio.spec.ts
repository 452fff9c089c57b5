import { RecentAudio } from '../../../src/synthesis/cache/recent-audio';
import type { CachedAudio } from '../../../src/synthesis/cache/audio-cache.types';

const meta = { format: 'wav' as const, contentType: 'audio/wav', sampleRate: 16000, durationSeconds: 1, provider: 'vits' };
const audio = (size: number, fill = 1): CachedAudio => ({ bytes: Buffer.alloc(size, fill), meta });

describe('RecentAudio: the process copies of hot entries', () => {
  it('serves a copy by key and version, least recently used out beyond the bound', () => {
    const recent = new RecentAudio(300);
    recent.set('a', 'v1', audio(100));
    recent.set('b', 'v1', audio(100));
    expect(recent.get('a')?.version).toBe('v1'); // a is now the most recently used
    recent.set('c', 'v1', audio(150)); // 350 > 300: b goes
    expect(recent.get('b')).toBeUndefined();
    expect(recent.get('a')).toBeDefined();
    expect(recent.get('c')).toBeDefined();
  });

  it('keeps nothing larger than the bound, but still serves its base64', () => {
    const recent = new RecentAudio(50);
    const served = recent.set('big', 'v1', audio(60, 7));
    expect(recent.get('big')).toBeUndefined();
    expect(served.base64!().toString('latin1')).toBe(Buffer.alloc(60, 7).toString('base64'));
  });

  it("makes a copy's base64 text once, and counts it against the bound", () => {
    const recent = new RecentAudio(400);
    const first = recent.set('a', 'v1', audio(150, 3));
    recent.set('b', 'v1', audio(100));
    // A hit reads the copy (now the most recently used), then asks for its text.
    const text = recent.get('a')!.audio.base64!();
    expect(text.toString('latin1')).toBe(Buffer.alloc(150, 3).toString('base64'));
    expect(first.base64!()).toBe(text); // the same buffer: not encoded again
    // a holds 150 + 200 bytes of base64 and b 100: 450 > 400, so b (least recently used) went.
    expect(recent.get('b')).toBeUndefined();
    expect(recent.get('a')).toBeDefined();
    // An entry whose text alone passes the bound goes too; the caller still gets its text.
    const other = new RecentAudio(250);
    const served = other.set('c', 'v1', audio(150));
    expect(served.base64!().length).toBe(200);
    expect(other.get('c')).toBeUndefined();
  });

  it('a copy replaced under its key (a new version) no longer counts its text', () => {
    const recent = new RecentAudio(500);
    const old = recent.set('a', 'v1', audio(100));
    recent.set('a', 'v2', audio(100, 2));
    old.base64!(); // made after the copy was replaced: not counted, nothing evicted
    recent.set('b', 'v1', audio(300));
    expect(recent.get('a')?.version).toBe('v2');
    expect(recent.get('b')).toBeDefined();
  });
});
