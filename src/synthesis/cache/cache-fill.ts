import type { CachedAudio } from './audio-cache.types';

/**
 * The right to fill one cache entry, held by the request that missed. Its audio is collected as it
 * flows to the client (`tee`), up to the entry size limit; only a stream that ends whole is offered to
 * the cache (`complete`). A stream that fails, is stopped (the client hung up) or grows too large is
 * `abandon`ed: nothing is stored, and requests waiting for it synthesize for themselves.
 */
export class CacheFill {
  private settled = false;

  constructor(
    /** The key the plan was made under (the first target the router would call). */
    readonly plannedKey: string,
    private readonly maxEntryBytes: number,
    private readonly finish: (outcome: { key: string; audio: CachedAudio } | undefined) => Promise<void>,
  ) {}

  /**
   * `chunks` unchanged for the consumer; when they end whole, `whole(bytes)` turns what was collected
   * into the entry (its key and file) and it is completed.
   */
  tee(chunks: AsyncIterable<Buffer>, whole: (bytes: Buffer) => { key: string | undefined; audio: CachedAudio }): AsyncIterable<Buffer> {
    return new TeeChunks(chunks, this.maxEntryBytes, (bytes) => {
      if (!bytes) return this.abandon();
      let entry: ReturnType<typeof whole>;
      try {
        entry = whole(bytes);
      } catch {
        return this.abandon(); // audio the cache cannot describe is simply not stored
      }
      if (!entry.key) return this.abandon();
      void this.complete(entry.key, entry.audio);
    });
  }

  /** Offers the finished audio to the cache; resolves once it is stored (or could not be: a store never rejects). */
  complete(key: string, audio: CachedAudio): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settled = true;
    return this.finish({ key, audio });
  }

  abandon(): void {
    if (this.settled) return;
    this.settled = true;
    void this.finish(undefined);
  }
}

/**
 * Passes chunks through and collects them; calls `end` exactly once: with the bytes when the source
 * ended whole within the size limit, with undefined when it failed, was stopped (also before its first
 * read, which a generator's `finally` never sees) or outgrew the limit.
 */
class TeeChunks implements AsyncIterableIterator<Buffer> {
  private readonly source: AsyncIterator<Buffer>;
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;
  private ended = false;

  constructor(
    chunks: AsyncIterable<Buffer>,
    private readonly limit: number,
    private readonly end: (bytes: Buffer | undefined) => void,
  ) {
    this.source = chunks[Symbol.asyncIterator]();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Buffer>> {
    if (this.ended) return { done: true, value: undefined };
    let result: IteratorResult<Buffer>;
    try {
      result = await this.source.next();
    } catch (error) {
      this.close(false);
      throw error;
    }
    if (result.done) this.close(true);
    else this.collect(result.value);
    return result;
  }

  async return(): Promise<IteratorResult<Buffer>> {
    if (!this.ended) {
      this.close(false);
      await this.source.return?.();
    }
    return { done: true, value: undefined };
  }

  private collect(chunk: Buffer): void {
    if (this.overflowed) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.overflowed = true;
      this.parts = [];
      return;
    }
    this.parts.push(chunk);
  }

  private close(whole: boolean): void {
    if (this.ended) return;
    this.ended = true;
    const bytes = whole && !this.overflowed ? Buffer.concat(this.parts) : undefined;
    this.parts = [];
    this.end(bytes);
  }
}
