import type { CachedAudio } from './audio-cache.types';

interface Recent {
  /** The stored row's version (its created_at): a row stored again under the key is other audio. */
  version: string;
  audio: CachedAudio;
}

/**
 * This process's copies of entries it recently served as hits, least recently used first out beyond
 * `maxBytes`. Only a copy: every hit still asks PostgreSQL whether the entry is there, unexpired, and
 * the same version (one small statement that also marks it used), so eviction, the lifetime and
 * `cache clear` apply exactly as without it; what it saves is moving the audio out of the database again
 * (a few milliseconds for a few hundred kilobytes). Filled on hits only, so one-off texts never take
 * memory.
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

  set(key: string, version: string, audio: CachedAudio): void {
    this.delete(key);
    if (audio.bytes.length > this.maxBytes) return;
    this.entries.set(key, { version, audio });
    this.bytes += audio.bytes.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.audio.bytes.length;
    }
  }

  delete(key: string): void {
    const found = this.entries.get(key);
    if (!found) return;
    this.entries.delete(key);
    this.bytes -= found.audio.bytes.length;
  }
}
