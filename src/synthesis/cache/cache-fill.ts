import { watched } from '../../common/watched-iterator';
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
    let parts: Buffer[] = [];
    let size = 0;
    let overflowed = false;
    return watched(chunks, {
      seen: (chunk) => {
        if (overflowed) return;
        size += chunk.length;
        if (size > this.maxEntryBytes) {
          overflowed = true;
          parts = [];
        } else parts.push(chunk);
      },
      end: (how) => {
        const bytes = how === 'succeeded' && !overflowed ? Buffer.concat(parts) : undefined;
        parts = [];
        this.ended(bytes, whole);
      },
    });
  }

  /** A teed stream's end: its bytes when it ended whole within the size limit, else undefined. */
  private ended(bytes: Buffer | undefined, whole: (bytes: Buffer) => { key: string | undefined; audio: CachedAudio }): void {
    if (!bytes) return this.abandon();
    let entry: ReturnType<typeof whole>;
    try {
      entry = whole(bytes);
    } catch {
      return this.abandon(); // audio the cache cannot describe is simply not stored
    }
    if (!entry.key) return this.abandon();
    void this.complete(entry.key, entry.audio);
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
