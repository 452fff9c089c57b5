import { CacheFill } from '../../../src/synthesis/cache/cache-fill';
import type { CachedAudio } from '../../../src/synthesis/cache/audio-cache.types';

async function* chunks(parts: string[], failAt?: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < parts.length; i++) {
    if (i === failAt) throw new Error('provider failed');
    yield Buffer.from(parts[i]);
  }
}

function fillWith(limit = 100) {
  const outcomes: Array<{ key: string; bytes: string } | undefined> = [];
  const sut = new CacheFill('planned', limit, async (outcome) => {
    outcomes.push(outcome && { key: outcome.key, bytes: outcome.audio.bytes.toString() });
  });
  const whole = (bytes: Buffer) => ({ key: 'served', audio: { bytes, meta: {} } as unknown as CachedAudio });
  return { sut, outcomes, whole };
}

describe('CacheFill', () => {
  it('passes every chunk through and offers the whole audio once the stream ends', async () => {
    const { sut, outcomes, whole } = fillWith();
    const seen: string[] = [];
    for await (const chunk of sut.tee(chunks(['ab', 'cd', 'e']), whole)) seen.push(chunk.toString());
    expect(seen).toEqual(['ab', 'cd', 'e']);
    expect(outcomes).toEqual([{ key: 'served', bytes: 'abcde' }]);
  });

  it('abandons a stream that fails halfway', async () => {
    const { sut, outcomes, whole } = fillWith();
    await expect(async () => {
      for await (const chunk of sut.tee(chunks(['ab', 'cd', 'e'], 2), whole)) void chunk;
    }).rejects.toThrow('provider failed');
    expect(outcomes).toEqual([undefined]);
  });

  it('abandons a stream its consumer stops, also before the first read', async () => {
    const early = fillWith();
    await early.sut.tee(chunks(['ab']), early.whole)[Symbol.asyncIterator]().return!();
    expect(early.outcomes).toEqual([undefined]);
    const halfway = fillWith();
    for await (const chunk of halfway.sut.tee(chunks(['ab', 'cd']), halfway.whole)) if (chunk.toString() === 'ab') break;
    expect(halfway.outcomes).toEqual([undefined]);
  });

  it('abandons audio larger than the entry limit, still passing it all through', async () => {
    const { sut, outcomes, whole } = fillWith(4);
    let bytes = 0;
    for await (const chunk of sut.tee(chunks(['ab', 'cd', 'e']), whole)) bytes += chunk.length;
    expect(bytes).toBe(5);
    expect(outcomes).toEqual([undefined]);
  });

  it('settles once: a later complete or abandon changes nothing', async () => {
    const { sut, outcomes } = fillWith();
    sut.abandon();
    await sut.complete('k', { bytes: Buffer.from('x') } as CachedAudio);
    sut.abandon();
    expect(outcomes).toEqual([undefined]);
  });
});
