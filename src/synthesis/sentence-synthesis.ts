import { chunkText, SENTENCE_PAUSE_SECONDS } from '../text/text-chunker';
import type { AttemptRecord } from './routing/routing.types';
import type { SynthesisRouter } from './routing/synthesis.router';
import type { SynthesisRequest } from './synthesis-request';

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

/**
 * Synthesizes `request` one sentence at a time through the router, yielding each as soon as it is
 * ready, so a stream can start playing before the rest is synthesized and every sentence gets exact
 * timestamps whatever the engine. Each sentence goes through the request's whole chain (route then
 * fallbacks); the route fixes one sample rate for all of them.
 */
export async function* synthesizeSentences(
  router: SynthesisRouter,
  request: SynthesisRequest,
  options: { requestId: string; signal?: AbortSignal },
): AsyncGenerator<SentenceAudio> {
  const sentences = sentencesOf(request.text);
  for (let index = 0; index < sentences.length; index++) {
    const text = sentences[index];
    const routed = await router.synthesize({ ...request, text, characters: [...text].length }, options);
    const { samples, sampleRate } = routed.audio;
    yield {
      index,
      text,
      leadingSilence: new Float32Array(index === 0 ? 0 : Math.round(SENTENCE_PAUSE_SECONDS * sampleRate)),
      samples,
      sampleRate,
      provider: routed.provider,
      ...(routed.model ?? routed.voice ? { model: routed.model ?? routed.voice } : {}),
      attempts: routed.attempts,
    };
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
