import type { TimedSegment } from './speech.types';

/** Per-character timings of a stretch of the text, in seconds from the start of the audio. */
export interface CharacterTimings {
  characters: string[];
  startSeconds: number[];
  endSeconds: number[];
}

/**
 * Turns sentence spans (exact to the sample: each sentence is spoken on its own) into per-character
 * timings of the request's text, a stretch at a time as sentences are spoken. Inside a sentence the
 * time is shared evenly among its characters (code points), since no engine here reports where each
 * character falls; characters between sentences (spaces, line breaks) take the pause between them.
 * Characters are the text as the client sent it, so their concatenation over all stretches is the text.
 */
export class CharacterTimeline {
  private readonly text: string[];
  private cursor = 0;
  private lastEnd = 0;

  constructor(text: string) {
    this.text = [...text];
  }

  /** Timings of the characters up to the end of `segments` (in order, following those already given). */
  next(segments: readonly TimedSegment[]): CharacterTimings {
    const out: CharacterTimings = { characters: [], startSeconds: [], endSeconds: [] };
    for (const segment of segments) {
      const sentence = [...segment.text];
      const found = this.find(sentence);
      // Characters before the sentence (the gap since the last one) share the pause.
      this.spread(out, found, this.lastEnd, Math.max(this.lastEnd, segment.startSeconds));
      const length = found === this.cursor ? Math.min(sentence.length, this.text.length - this.cursor) : sentence.length;
      this.spread(out, this.cursor + length, segment.startSeconds, segment.endSeconds);
      this.lastEnd = segment.endSeconds;
    }
    return out;
  }

  /** The characters after the last sentence (trailing spaces), at the end of the audio. */
  rest(): CharacterTimings {
    const out: CharacterTimings = { characters: [], startSeconds: [], endSeconds: [] };
    this.spread(out, this.text.length, this.lastEnd, this.lastEnd);
    return out;
  }

  /** Where `sentence` starts at or after the cursor; the cursor itself when the text was changed on the way (normalised). */
  private find(sentence: string[]): number {
    if (sentence.length === 0) return this.cursor;
    const first = sentence[0];
    for (let at = this.cursor; at + sentence.length <= this.text.length; at++) {
      if (this.text[at] !== first) continue;
      let matches = true;
      for (let i = 1; i < sentence.length && matches; i++) matches = this.text[at + i] === sentence[i];
      if (matches) return at;
    }
    return this.cursor;
  }

  /** Characters from the cursor up to `end`, sharing [from, to] evenly; moves the cursor there. */
  private spread(out: CharacterTimings, end: number, from: number, to: number): void {
    const until = Math.min(end, this.text.length);
    const count = until - this.cursor;
    if (count <= 0) return;
    const step = (to - from) / count;
    for (let i = 0; i < count; i++) {
      out.characters.push(this.text[this.cursor + i]);
      out.startSeconds.push(round(from + step * i));
      out.endSeconds.push(round(from + step * (i + 1)));
    }
    this.cursor = until;
  }
}

/** Milliseconds are what a caption or karaoke client can use; more digits only suggest a precision there is not. */
function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
