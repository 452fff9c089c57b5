import { chunkText, SENTENCE_PAUSE_SECONDS } from '../text/text-chunker';
import type { AttemptRecord } from './routing/routing.types';
import type { SynthesisRouter } from './routing/synthesis.router';
import { countCharacters, SynthesisRequest } from './synthesis-request';

/** One sentence (or a cut of a long one) as the router produced it, at the route's sample rate. */
export interface SentenceAudio {
  index: number;
  text: string;
  /** Silence to play before this sentence's speech (0 for the first). */
  leadingSilence: Float32Array;
  samples: Float32Array;
  sampleRate: number;
  provider: string;
  model?: string;
  attempts: AttemptRecord[];
}

/** A timed span of the text, in seconds from the start of the audio. */
export interface TimedSegment {
  text: string;
  startSeconds: number;
  endSeconds: number;
}

/**
 * The text as the pieces it is synthesized in: sentences, long ones cut at clauses (the VITS
 * chunker's rules, so every engine pauses in the same places). Text with no letter or digit at all
 * stays one piece, so a provider still decides what it sounds like.
 */
export function sentencesOf(text: string): string[] {
  const pieces = chunkText(text).map((chunk) => chunk.text);
  return pieces.length > 0 ? pieces : [text];
}

/** The largest piece a growing plan sends to the router at once. */
export const MAX_GROUP_CHARACTERS = 1000;

/**
 * How the text is cut into router calls. `sentence`: one call per sentence (exact per-sentence
 * timestamps for any engine). `growing`: the first sentence alone, so the first audio comes quickly,
 * then groups of whole sentences that double in size (≤ 250, 500, 1000 characters): every call has
 * a fixed cost (eSpeak phonemization, an upstream round trip), and a group runs its chunks in
 * parallel, so fewer, larger calls keep the total close to a single call's.
 */
export type SentencePlan = 'sentence' | 'growing';

export function planPieces(text: string, plan: SentencePlan): string[] {
  const sentences = sentencesOf(text);
  if (plan === 'sentence' || sentences.length <= 2) return sentences;
  const groups = [sentences[0]];
  let limit = 250;
  let current = '';
  for (const sentence of sentences.slice(1)) {
    if (current && current.length + 1 + sentence.length > limit) {
      groups.push(current);
      current = '';
      limit = Math.min(MAX_GROUP_CHARACTERS, limit * 2);
    }
    current = current ? `${current} ${sentence}` : sentence;
  }
  if (current) groups.push(current);
  return groups;
}

/**
 * Synthesizes `request` one sentence at a time through the router, yielding each, in order, as soon
 * as it is ready, so a stream can start playing before the rest is synthesized and every sentence gets
 * exact timestamps whatever the engine (with the `sentence` plan). Up to `lookahead` pieces are in
 * flight at once (default 1: measured, a second call in flight delays the first piece's audio more
 * than it saves on the total, see docs/bifrost-openai-api.md). Each sentence goes through the request's whole chain (route then fallbacks); the route
 * fixes one sample rate for all of them. When the consumer stops early, the sentences in flight are
 * cancelled.
 */
export async function* synthesizeSentences(
  router: SynthesisRouter,
  request: SynthesisRequest,
  options: { requestId: string; signal?: AbortSignal; lookahead?: number; plan?: SentencePlan },
): AsyncGenerator<SentenceAudio> {
  const sentences = planPieces(request.text, options.plan ?? 'sentence');
  const own = new AbortController();
  const cancel = () => own.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const inFlight: Array<ReturnType<SynthesisRouter['synthesize']>> = [];
  const launch = (index: number) => {
    const text = sentences[index];
    const call = router.synthesize(
      { ...request, text, characters: countCharacters(text) },
      { requestId: options.requestId, signal: own.signal },
    );
    call.catch(() => undefined); // awaited in order below; a later failure must not go unhandled meanwhile
    inFlight.push(call);
  };
  const lookahead = Math.max(1, options.lookahead ?? 1);
  let launched = 0;
  try {
    for (let index = 0; index < sentences.length; index++) {
      while (launched < sentences.length && launched < index + lookahead) launch(launched++);
      const routed = await inFlight[index];
      const { samples, sampleRate } = routed.audio;
      yield {
        index,
        text: sentences[index],
        leadingSilence: new Float32Array(index === 0 ? 0 : Math.round(SENTENCE_PAUSE_SECONDS * sampleRate)),
        samples,
        sampleRate,
        provider: routed.provider,
        ...((routed.model ?? routed.voice) ? { model: routed.model ?? routed.voice } : {}),
        attempts: routed.attempts,
      };
    }
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    if (launched > 0) own.abort(new Error('sentence synthesis stopped'));
  }
}

/** All sentences as one buffer, with the pauses between them, and each sentence's span. */
export function joinSentences(sentences: SentenceAudio[]): { samples: Float32Array; sampleRate: number; segments: TimedSegment[] } {
  const sampleRate = sentences[0]?.sampleRate ?? 16000;
  const total = sentences.reduce((sum, s) => sum + s.leadingSilence.length + s.samples.length, 0);
  const samples = new Float32Array(total);
  const segments: TimedSegment[] = [];
  let at = 0;
  for (const sentence of sentences) {
    at += sentence.leadingSilence.length; // already zeros
    samples.set(sentence.samples, at);
    segments.push({ text: sentence.text, startSeconds: at / sampleRate, endSeconds: (at + sentence.samples.length) / sampleRate });
    at += sentence.samples.length;
  }
  return { samples, sampleRate, segments };
}
