import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { VoiceModel } from './voice-models';

async function sha256Of(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const path of paths) for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The SHA-256 of each VITS voice's model and config files: the engine's identity in the audio cache's
 * key, so a retrained or replaced model never serves audio of the old one. Hashing reads the files as a
 * stream (never blocking the event loop on a 60 MB model) once per version of the files; until it is
 * done the voice has no fingerprint and its audio is not cached.
 */
export class VoiceFingerprints {
  private readonly known = new Map<string, { stamp: string; sha256?: string; hashing?: Promise<void> }>();

  /** The fingerprint if it is known for the files as the provider last read them; otherwise starts hashing them and answers undefined. */
  current(voice: VoiceModel): string | undefined {
    const entry = this.entry(voice);
    if (!entry.sha256) void this.hash(voice);
    return entry.sha256;
  }

  /** Hashes the voice's files (if not done for this version) and resolves when the fingerprint is known. */
  async hash(voice: VoiceModel): Promise<string | undefined> {
    const entry = this.entry(voice);
    entry.hashing ??= sha256Of([voice.modelPath, voice.configPath])
      .then((sha256) => {
        entry.sha256 = sha256;
      })
      .catch(() => {
        entry.hashing = undefined; // unreadable now: try again on the next request
      });
    await entry.hashing;
    return entry.sha256;
  }

  /** The voice's files as the provider last read them (their stamps): a new version is hashed anew. */
  private entry(voice: VoiceModel) {
    const stamp = `${voice.modelStamp}|${voice.configStamp}`;
    let entry = this.known.get(voice.id);
    if (!entry || entry.stamp !== stamp) this.known.set(voice.id, (entry = { stamp }));
    return entry;
  }
}
