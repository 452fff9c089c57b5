import { fileDurationSeconds } from './audio-duration';
import type { AudioFormat } from './audio-format';
import { withExactWavSizes } from './wav';

/**
 * A stream collected into one file, made whole: a streamed WAV's placeholder sizes are set, and a
 * streamed FLAC's sample count is written, since neither could be known when their headers went out.
 * Returns the file and how long it plays (`samples` when the encoder counted them, else read from the file).
 */
export function wholeFile(
  format: AudioFormat,
  bytes: Buffer,
  sampleRate: number,
  samples: number | undefined,
): { bytes: Buffer; durationSeconds: number } {
  let file = bytes;
  if (format === 'wav') file = withExactWavSizes(bytes);
  if (format === 'flac' && samples !== undefined) setFlacTotalSamples(file, samples);
  return { bytes: file, durationSeconds: samples !== undefined ? samples / sampleRate : fileDurationSeconds(format, file, sampleRate) };
}

/**
 * ffmpeg writes FLAC's STREAMINFO before it has seen the audio and cannot seek back on a pipe, so the
 * total sample count stays 0 ("unknown") and players cannot show a duration. We know the count, so we
 * write it: the low 36 bits of the 8 bytes after STREAMINFO's block sizes (FLAC format, section
 * METADATA_BLOCK_STREAMINFO). The MD5 stays zero, which the format defines as "not computed".
 */
export function setFlacTotalSamples(flac: Buffer, totalSamples: number): void {
  const streamInfoStart = 8; // "fLaC" + the 4-byte metadata block header
  if (flac.length < streamInfoStart + 34 || flac.toString('ascii', 0, 4) !== 'fLaC' || (flac[4] & 0x7f) !== 0) return;
  const at = streamInfoStart + 10;
  flac[at + 3] = (flac[at + 3] & 0xf0) | (Math.floor(totalSamples / 2 ** 32) & 0x0f);
  flac.writeUInt32BE(totalSamples % 2 ** 32, at + 4);
}
