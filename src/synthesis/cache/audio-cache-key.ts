import { createHash } from 'node:crypto';
import type { OutputSpec } from '../../audio/audio-stream';
import type { AudioIdentity } from '../../providers/tts-provider';
import type { RouteTarget } from '../routing/routing.types';

/** Bumped when what the key covers changes, so entries of an older derivation are never served. */
const KEY_VERSION = 1;

export interface AudioCacheKeyParts {
  /** The tenant's id, or `shared` for a route whose entries every tenant shares. */
  scope: string;
  target: Pick<RouteTarget, 'provider' | 'voice' | 'model'>;
  identity: AudioIdentity;
  output: OutputSpec;
  /** Timestamped renders are spoken sentence by sentence, which sounds (and is) different audio. */
  bySentence: boolean;
}

/**
 * The SHA-256 (hex) of everything that changes the audio: scope, the serving target, the engine's
 * identity and its view of the request (text after its normaliser, settings after defaulting and
 * clamping; docs/cache.md), and the output format and rate. JSON with sorted keys, so the same parts
 * always hash the same.
 */
export function audioCacheKey(parts: AudioCacheKeyParts): string {
  const { scope, target, identity, output, bySentence } = parts;
  const material = {
    version: KEY_VERSION,
    scope,
    target: { provider: target.provider, voice: target.voice, model: target.model ?? null },
    engine: identity.engine,
    input: identity.input,
    output: {
      format: output.format,
      sampleRate: output.sampleRate,
      exactRate: output.exactRate ?? false,
      bitrateKbps: output.bitrateKbps ?? null,
    },
    bySentence,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

/** JSON with object keys sorted at every level; `undefined` members are left out as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
}
