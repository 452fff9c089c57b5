/** How an iteration ended: read to its end, failed, or stopped by its consumer. */
export type IterationEnd = 'succeeded' | 'failed' | 'cancelled';

export interface IterationWatch<T> {
  /** Each item, as the consumer receives it. */
  seen?(item: T): void;
  /** Called exactly once, before the consumer learns of the end. */
  end(how: IterationEnd): void;
}

/**
 * `source`'s items unchanged, watched: `end` is called exactly once, when the source ends whole, throws,
 * or the consumer stops, including a stop before the first read, which a generator's `finally` would
 * never see. A class rather than an async generator for that reason. Used where a stream's end must
 * settle something (its billing, its cache entry) whichever way it ends.
 */
export function watched<T>(source: AsyncIterable<T>, watch: IterationWatch<T>): AsyncIterableIterator<T> {
  return new WatchedIterator(source[Symbol.asyncIterator](), watch);
}

class WatchedIterator<T> implements AsyncIterableIterator<T> {
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly watch: IterationWatch<T>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T>> {
    if (this.ended) return { done: true, value: undefined };
    let result: IteratorResult<T>;
    try {
      result = await this.source.next();
    } catch (error) {
      this.close('failed');
      throw error;
    }
    if (result.done) this.close('succeeded');
    else this.watch.seen?.(result.value);
    return result;
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.close('cancelled');
      await this.source.return?.();
    }
    return { done: true, value: undefined };
  }

  private close(how: IterationEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.watch.end(how);
  }
}
