import { sentencesOf } from '../text/sentence-plan';
import { SENTENCE_PAUSE_SECONDS } from '../text/text-chunker';
import type { AttemptRecord, TimedSegment } from './speech.types';

/** One sentence's audio as mono samples at the route's rate, and who spoke it. */
export interface SpokenSentence {
  samples: Float32Array;
  provider: string;
  /** The serving target's own voice (its key in the audio cache). */
  voice?: string;
  model?: string;
  attempts: AttemptRecord[];
}

/** A sentence with its place in the text. */
export interface SentenceAudio extends SpokenSentence {
  index: number;
  text: string;
}

/**
 * Speaks `text` one sentence (or a clause of a long one) at a time through `speak`, in order, with up
 * to `lookahead` sentences in flight, so every sentence's start and end are known to the sample
 * whatever the engine. `speak` decides who speaks each sentence (SpeechService keeps them all to one
 * target); when one fails, the others in flight are cancelled.
 */
export async function speakSentences(
  text: string,
  speak: (sentence: string, signal: AbortSignal) => Promise<SpokenSentence>,
  options: { signal?: AbortSignal; lookahead: number },
): Promise<SentenceAudio[]> {
  const spoken: SentenceAudio[] = [];
  for await (const sentence of sentencesAsSpoken(text, speak, options)) spoken.push(sentence);
  return spoken;
}

/** The same, each sentence yielded as soon as it and those before it are spoken (streamed timestamps). */
export async function* sentencesAsSpoken(
  text: string,
  speak: (sentence: string, signal: AbortSignal) => Promise<SpokenSentence>,
  options: { signal?: AbortSignal; lookahead: number },
): AsyncGenerator<SentenceAudio> {
  const sentences = sentencesOf(text);
  const own = new AbortController();
  const cancel = () => own.abort(options.signal?.reason);
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel, { once: true });
  const inFlight: Promise<SpokenSentence>[] = [];
  const launch = (index: number) => {
    const call = speak(sentences[index], own.signal);
    call.catch(() => undefined); // awaited in order below; a later failure must not go unhandled meanwhile
    inFlight.push(call);
  };
  try {
    for (let index = 0; index < sentences.length; index++) {
      while (inFlight.length < sentences.length && inFlight.length < index + options.lookahead) launch(inFlight.length);
      yield { index, text: sentences[index], ...(await inFlight[index]) };
    }
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    own.abort(new Error('sentence synthesis stopped'));
  }
}

/** All sentences as one buffer, with a sentence pause between them, and each sentence's span. */
export function joinSentences(sentences: SentenceAudio[], sampleRate: number): { samples: Float32Array; segments: TimedSegment[] } {
  const pause = Math.round(SENTENCE_PAUSE_SECONDS * sampleRate);
  const total = sentences.reduce((sum, s, i) => sum + (i === 0 ? 0 : pause) + s.samples.length, 0);
  const samples = new Float32Array(total);
  const segments: TimedSegment[] = [];
  let at = 0;
  sentences.forEach((sentence, i) => {
    if (i > 0) at += pause; // already zeros
    samples.set(sentence.samples, at);
    segments.push({ text: sentence.text, startSeconds: at / sampleRate, endSeconds: (at + sentence.samples.length) / sampleRate });
    at += sentence.samples.length;
  });
  return { samples, segments };
}
