import { WatchedStream } from '../../common/watched-stream';
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
    const collected = new Collected(this.maxEntryBytes);
    return new WatchedStream(chunks, {
      chunk: (chunk) => collected.add(chunk),
      end: (how) => this.filled(how === 'succeeded' ? collected.bytes() : collected.drop(), whole),
    });
  }

  /** A tee's end: the whole audio is offered to the cache; a failed, stopped or oversized stream abandons the fill. */
  private filled(bytes: Buffer | undefined, whole: (bytes: Buffer) => { key: string | undefined; audio: CachedAudio }): void {
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

/** Chunks collected up to a size limit: past it, nothing (an entry that large is not stored). */
class Collected {
  private parts: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.overflowed) return;
    this.size += chunk.length;
    if (this.size > this.limit) {
      this.overflowed = true;
      this.parts = [];
      return;
    }
    this.parts.push(chunk);
  }

  /** Lets go of what was collected (the stream did not end whole). */
  drop(): undefined {
    this.parts = [];
    return undefined;
  }

  /** The whole, or undefined when it outgrew the limit. */
  bytes(): Buffer | undefined {
    const bytes = this.overflowed ? undefined : Buffer.concat(this.parts);
    this.parts = [];
    return bytes;
  }
}
