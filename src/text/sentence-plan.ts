import { chunkText } from './text-chunker';

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
