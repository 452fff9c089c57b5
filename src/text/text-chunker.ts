/**
 * Splits normalised text into chunks a VITS model handles well. VITS attends over the whole input,
 * so quality drops and memory grows with very long inputs; Piper itself synthesizes sentence by
 * sentence. Chunks are sentences, and sentences longer than `maxChars` are cut at clause
 * punctuation (; : ,), then at spaces. Each chunk says how much silence follows it.
 */

export const DEFAULT_MAX_CHUNK_CHARS = 250;
/** Silence after a sentence, and after a cut inside a long sentence. */
export const SENTENCE_PAUSE_SECONDS = 0.2;
export const CLAUSE_PAUSE_SECONDS = 0.1;

export interface TextChunk {
  text: string;
  /** Silence to insert after this chunk (0 after the last one). */
  pauseAfterSeconds: number;
}

/** Sentences keep their terminator(s) and any closing quote or bracket. */
export function splitSentences(text: string): string[] {
  const sentences = text.match(/[^.!?…]+(?:[.!?…]+["'”’)\]]*|$)|[.!?…]+/gu) ?? [];
  return sentences.map((s) => s.trim()).filter((s) => /[\p{L}\p{N}]/u.test(s));
}

/** Clauses keep their trailing punctuation: "Habari, rafiki." → ["Habari,", "rafiki."]. */
export function splitClauses(sentence: string): string[] {
  const clauses = sentence.match(/[^,;:]+(?:[,;:]+|$)|[,;:]+/gu) ?? [];
  return clauses.map((c) => c.trim()).filter((c) => c !== '');
}

/** Greedily packs pieces (joined by spaces) into groups of at most maxChars; a longer piece is cut. */
function pack(pieces: string[], maxChars: number, cut: (piece: string) => string[]): string[] {
  const groups: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (piece.length > maxChars) {
      if (current) groups.push(current);
      current = '';
      const parts = cut(piece);
      groups.push(...parts.slice(0, -1));
      current = parts[parts.length - 1] ?? '';
      continue;
    }
    const joined = current ? `${current} ${piece}` : piece;
    if (joined.length > maxChars && current) {
      groups.push(current);
      current = piece;
    } else {
      current = joined;
    }
  }
  if (current) groups.push(current);
  return groups;
}

function hardCut(word: string, maxChars: number): string[] {
  const parts: string[] = [];
  for (let at = 0; at < word.length; at += maxChars) parts.push(word.slice(at, at + maxChars));
  return parts;
}

function splitLongSentence(sentence: string, maxChars: number): string[] {
  if (sentence.length <= maxChars) return [sentence];
  const byWords = (clause: string) => pack(clause.split(' '), maxChars, (word) => hardCut(word, maxChars));
  return pack(splitClauses(sentence), maxChars, byWords);
}

/** Chunks of at most `maxChars` characters with the pause that follows each. */
export function chunkText(text: string, maxChars = DEFAULT_MAX_CHUNK_CHARS): TextChunk[] {
  const chunks: TextChunk[] = [];
  for (const sentence of splitSentences(text)) {
    const pieces = splitLongSentence(sentence, maxChars);
    pieces.forEach((piece, index) => {
      chunks.push({ text: piece, pauseAfterSeconds: index === pieces.length - 1 ? SENTENCE_PAUSE_SECONDS : CLAUSE_PAUSE_SECONDS });
    });
  }
  if (chunks.length > 0) chunks[chunks.length - 1].pauseAfterSeconds = 0;
  return chunks;
}
