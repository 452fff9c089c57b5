/** How a watched stream ended: whole, failed (its source threw), or stopped by its reader. */
export type StreamEnd = 'succeeded' | 'failed' | 'cancelled';

/**
 * `chunks` passed through unchanged while `watch.chunk` sees each one, and `watch.end` is called
 * exactly once with how the stream ended, including a stop (`return()`) before the first read, which a
 * generator's `finally` never sees. Billing and the cache's fill both hang their bookkeeping on it.
 */
export class WatchedStream<T> implements AsyncIterableIterator<T> {
  private readonly source: AsyncIterator<T>;
  private ended = false;

  constructor(
    chunks: AsyncIterable<T>,
    private readonly watch: { chunk?: (chunk: T) => void; end: (how: StreamEnd) => void },
  ) {
    this.source = chunks[Symbol.asyncIterator]();
  }

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
    else this.watch.chunk?.(result.value);
    return result;
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.ended) {
      this.close('cancelled');
      await this.source.return?.();
    }
    return { done: true, value: undefined };
  }

  private close(how: StreamEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.watch.end(how);
  }
}
