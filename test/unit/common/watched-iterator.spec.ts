import { IterationEnd, watched } from '../../../src/common/watched-iterator';

async function* numbers(failAt?: number): AsyncGenerator<number> {
  for (let i = 1; i <= 3; i++) {
    if (i === failAt) throw new Error('source failed');
    yield i;
  }
}

function watch() {
  const ends: IterationEnd[] = [];
  const seen: number[] = [];
  return { ends, seen, watch: { seen: (n: number) => seen.push(n), end: (how: IterationEnd) => ends.push(how) } };
}

describe('watched: a stream whose end is reported exactly once', () => {
  it('read to its end: every item seen, then succeeded, before the consumer sees done', async () => {
    const { ends, seen, watch: w } = watch();
    const items: number[] = [];
    for await (const n of watched(numbers(), w)) items.push(n);
    expect(items).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(ends).toEqual(['succeeded']);
  });

  it('a source that throws: failed, and the error reaches the consumer', async () => {
    const { ends, watch: w } = watch();
    const items: number[] = [];
    await expect(
      (async () => {
        for await (const n of watched(numbers(2), w)) items.push(n);
      })(),
    ).rejects.toThrow('source failed');
    expect(items).toEqual([1]);
    expect(ends).toEqual(['failed']);
  });

  it('a consumer that stops, also before its first read: cancelled, once, and the source is closed', async () => {
    let closed = false;
    async function* source() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const { ends, watch: w } = watch();
    for await (const n of watched(source(), w)) if (n === 1) break;
    expect(ends).toEqual(['cancelled']);
    expect(closed).toBe(true);

    const early = watch();
    const iterator = watched(numbers(), early.watch);
    await iterator.return!();
    await iterator.return!();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(early.ends).toEqual(['cancelled']);
    expect(early.seen).toEqual([]);
  });
});
