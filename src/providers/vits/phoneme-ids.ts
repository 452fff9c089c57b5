import { splitClauses } from '../../text/text-chunker';

/**
 * Text units → model input ids, for the two VITS voice formats.
 *
 * Piper: eSpeak IPA, decomposed to single code points (NFD, as Piper's own phonemizer does), each
 * mapped through the voice's `phoneme_id_map`; the sequence is BOS `^`, pad `_`, then every phoneme
 * followed by a pad, then EOS `$`. Clause punctuation is kept as a phoneme (Piper voices learnt pauses
 * and intonation from it).
 *
 * MMS-TTS: characters of the lower-cased text through the voice's vocabulary, with the blank id (0)
 * before, between and after them.
 */

export const PIPER_BOS = '^';
export const PIPER_EOS = '$';
export const PIPER_PAD = '_';

export type PhonemeIdMap = Record<string, number[]>;

export interface IdMapping {
  ids: number[];
  /** Symbols that had no id and were dropped (a voice trained on another eSpeak version, a stray symbol). */
  unmapped: string[];
}

export function piperIds(phonemes: string, map: PhonemeIdMap): IdMapping {
  const pad = map[PIPER_PAD] ?? [];
  const ids: number[] = [...(map[PIPER_BOS] ?? []), ...pad];
  const unmapped: string[] = [];
  for (const symbol of phonemes.normalize('NFD')) {
    const symbolIds = map[symbol];
    if (!symbolIds) {
      unmapped.push(symbol);
      continue;
    }
    ids.push(...symbolIds, ...pad);
  }
  ids.push(...(map[PIPER_EOS] ?? []));
  return { ids, unmapped };
}

/** One clause of a chunk: the words eSpeak reads and the punctuation that ended it. */
export interface Clause {
  words: string;
  punctuation: string;
}

/** Splits a chunk into clauses for eSpeak, keeping the punctuation Piper puts back afterwards. */
export function clausesOf(chunk: string): Clause[] {
  return splitClauses(chunk)
    .map((clause) => {
      const match = /^(.*?)([\s,;:.!?…"'”’)\]]*)$/su.exec(clause);
      const words = (match?.[1] ?? clause).replace(/[.!?…]+/gu, ' ').trim();
      const punctuation = (match?.[2] ?? '').replace(/[^,;:.!?]/gu, '').slice(0, 1);
      return { words, punctuation };
    })
    .filter((clause) => /[\p{L}\p{N}]/u.test(clause.words));
}

/** Joins a chunk's clause phonemes the way Piper does: "<clause1>, <clause2>." */
export function joinClausePhonemes(clauses: Clause[], phonemes: string[]): string {
  return clauses.map((clause, index) => `${phonemes[index]}${clause.punctuation}`).join(' ');
}

/** MMS vocabularies: sherpa-onnx `tokens.txt` ("<symbol> <id>" per line) or a Hugging Face `vocab.json`. */
export function parseMmsVocabulary(content: string, fileName: string): Map<string, number> {
  const vocabulary = new Map<string, number>();
  if (fileName.endsWith('.json')) {
    for (const [symbol, id] of Object.entries(JSON.parse(content) as Record<string, number>)) vocabulary.set(symbol, id);
    return vocabulary;
  }
  for (const line of content.split('\n')) {
    const match = /^(.*) (\d+)\s*$/su.exec(line.replace(/\r$/, ''));
    if (match) vocabulary.set(match[1] === '' ? ' ' : match[1], Number(match[2]));
  }
  return vocabulary;
}

export const MMS_BLANK_ID = 0;

export function mmsIds(text: string, vocabulary: Map<string, number>): IdMapping {
  const ids: number[] = [MMS_BLANK_ID];
  const unmapped: string[] = [];
  for (const character of text.toLowerCase().normalize('NFC')) {
    const id = vocabulary.get(character);
    if (id === undefined) {
      unmapped.push(character);
      continue;
    }
    ids.push(id, MMS_BLANK_ID);
  }
  return { ids, unmapped };
}
