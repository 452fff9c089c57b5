import type { CachedAudio } from './audio-cache.types';

interface Recent {
  /** The stored row's version (its created_at): a row stored again under the key is other audio. */
  version: string;
  /** The copy, with its base64 text once a face asked for it. */
  audio: CachedAudio;
  /** What the copy holds: its audio, and its base64 text once made. */
  size: number;
}

/**
 * This process's copies of entries it recently served as hits, least recently used first out beyond
 * `maxBytes`. Only a copy: every hit still asks PostgreSQL whether the entry is there, unexpired, and
 * the same version (the one statement that also charges the hit), so eviction, the lifetime and
 * `cache clear` apply exactly as without it; what it saves is moving the audio out of the database again
 * (a few milliseconds for a few hundred kilobytes). A copy also keeps its base64 text once a face that
 * answers in JSON (Sauti) asked for it, counted in `maxBytes`: encoding 400 KB costs more than the
 * rest of a hit. Filled on hits only, so one-off texts never take memory.
 */
export class RecentAudio {
  private readonly entries = new Map<string, Recent>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Recent | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    this.entries.delete(key);
    this.entries.set(key, found);
    return found;
  }

  /** Keeps a copy of `audio` (when it fits) and returns the audio to serve, which makes its base64 text once. */
  set(key: string, version: string, audio: CachedAudio): CachedAudio {
    this.delete(key);
    let base64: Buffer | undefined;
    const held: Recent = {
      version,
      size: audio.bytes.length,
      audio: {
        ...audio,
        base64: () => {
          if (base64) return base64;
          base64 = Buffer.from(audio.bytes.toString('base64'), 'latin1');
          if (this.entries.get(key) === held) {
            held.size += base64.length;
            this.bytes += base64.length;
            this.evictBeyondBound();
          }
          return base64;
        },
      },
    };
    if (held.size > this.maxBytes) return held.audio;
    this.entries.set(key, held);
    this.bytes += held.size;
    this.evictBeyondBound();
    return held.audio;
  }

  delete(key: string): void {
    const found = this.entries.get(key);
    if (!found) return;
    this.entries.delete(key);
    this.bytes -= found.size;
  }

  private evictBeyondBound(): void {
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }
}
