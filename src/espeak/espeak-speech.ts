import { espeakSessions } from './espeak-sessions';

/**
 * eSpeak's command line reads at most 999 bytes of a line at once and would cut a word there; longer
 * text is split before this bound, at a sentence end if there is one, else at a space.
 */
const MAX_LINE_BYTES = 900;

/** Line breaks would end a line early (and so split one input into two); control characters say nothing. */
function asLineText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/** `text` as lines of at most MAX_LINE_BYTES bytes of UTF-8, cut at sentence ends or spaces where possible. */
export function espeakLines(text: string): string[] {
  const lines: string[] = [];
  let rest = asLineText(text);
  while (Buffer.byteLength(rest) > MAX_LINE_BYTES) {
    let end = 0;
    let bytes = 0;
    // The longest prefix within the bound, in code points so no character is split.
    for (const character of rest) {
      bytes += Buffer.byteLength(character);
      if (bytes > MAX_LINE_BYTES) break;
      end += character.length;
    }
    const head = rest.slice(0, end);
    const sentenceEnd = head.search(/[.!?…]\s(?!.*[.!?…]\s)/s);
    const space = head.lastIndexOf(' ');
    const cut = sentenceEnd > 0 ? sentenceEnd + 1 : space > 0 ? space : end;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

/**
 * IPA for each clause, in the form Piper's voices were trained on (`--ipa`: no tie bars), one string per
 * clause (empty when the clause has nothing to say). Clauses should carry no clause punctuation: eSpeak
 * would split them, and the pieces are joined with spaces. `voice` is an eSpeak voice such as `sw`.
 */
export async function phonemizeClauses(clauses: string[], voice: string, signal?: AbortSignal): Promise<string[]> {
  if (clauses.length === 0) return [];
  const linesPerClause = clauses.map((clause) => espeakLines(clause));
  const { ipa } = await espeakSessions.run(['-q', '--ipa', '-v', voice], 'ipa', linesPerClause.flat(), signal);
  let next = 0;
  return linesPerClause.map((lines) => {
    const own = ipa.slice(next, next + lines.length).flat();
    next += lines.length;
    return own.join(' ');
  });
}

export interface EspeakSpeech {
  /** 16-bit little-endian mono samples. */
  pcm: Buffer;
  sampleRate: number;
}

/** eSpeak's own rate when it has produced nothing to read the rate from. */
const ESPEAK_SAMPLE_RATE = 22_050;

/** eSpeak's own formant speech for `text`. `wordsPerMinute` is eSpeak's pace (175 is its default). */
export async function speak(text: string, voice: string, wordsPerMinute: number, signal?: AbortSignal): Promise<EspeakSpeech> {
  const args = ['--stdout', '-v', voice, '-s', String(Math.round(wordsPerMinute))];
  const { pcm, sampleRate } = await espeakSessions.run(args, 'pcm16', espeakLines(text), signal);
  return { pcm: Buffer.concat(pcm), sampleRate: sampleRate || ESPEAK_SAMPLE_RATE };
}
