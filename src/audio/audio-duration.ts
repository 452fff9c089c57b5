import type { AudioFormat } from './audio-format';
import { readWavLayout, wavFrameBytes } from './wav';

/**
 * How long a whole file plays, read from its own structure: what a stored result reports when its
 * bytes came from a provider untouched (our own encoders count the samples they write). Returns 0 for
 * a file it cannot read.
 */
export function fileDurationSeconds(format: AudioFormat, bytes: Buffer, pcmSampleRate: number): number {
  switch (format) {
    case 'pcm':
      return bytes.length / 2 / pcmSampleRate;
    case 'ulaw':
    case 'alaw':
      return bytes.length / pcmSampleRate;
    case 'wav':
      return wavDuration(bytes);
    case 'mp3':
      return mp3Duration(bytes);
    case 'opus':
      return opusDuration(bytes);
    case 'aac':
      return adtsDuration(bytes);
    case 'flac':
      return flacDuration(bytes);
  }
}

function wavDuration(bytes: Buffer): number {
  try {
    const layout = readWavLayout(bytes);
    if (layout === 'incomplete') return 0;
    const data = Math.min(layout.dataBytes ?? Infinity, bytes.length - layout.dataStart);
    return data / wavFrameBytes(layout.format) / layout.format.sampleRate;
  } catch {
    return 0;
  }
}

const MPEG1_BITRATES = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_BITRATES = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MPEG_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

/** Layer III frames, walked header to header (after an ID3v2 tag, if any). */
function mp3Duration(bytes: Buffer): number {
  let at = bytes.length >= 10 && bytes.toString('latin1', 0, 3) === 'ID3' ? 10 + synchsafe(bytes, 6) : 0;
  let seconds = 0;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) break;
    const version = (bytes[at + 1] >> 3) & 0x03;
    const rates = MPEG_RATES[version];
    const bitrate = (version === 3 ? MPEG1_BITRATES : MPEG2_BITRATES)[bytes[at + 2] >> 4];
    const rate = rates?.[(bytes[at + 2] >> 2) & 0x03];
    if (!rates || !bitrate || !rate) break;
    const samples = version === 3 ? 1152 : 576;
    const padding = (bytes[at + 2] >> 1) & 0x01;
    at += Math.floor(((samples / 8) * bitrate * 1000) / rate) + padding;
    seconds += samples / rate;
  }
  return seconds;
}

function synchsafe(bytes: Buffer, at: number): number {
  return ((bytes[at] & 0x7f) << 21) | ((bytes[at + 1] & 0x7f) << 14) | ((bytes[at + 2] & 0x7f) << 7) | (bytes[at + 3] & 0x7f);
}

/** Ogg Opus: the last page's granule position, less the pre-skip, at 48 kHz (RFC 7845). */
function opusDuration(bytes: Buffer): number {
  const last = bytes.lastIndexOf('OggS');
  const head = bytes.indexOf('OpusHead');
  if (last < 0 || head < 0 || last + 14 > bytes.length || head + 12 > bytes.length) return 0;
  const granule = Number(bytes.readBigUInt64LE(last + 6));
  const preSkip = bytes.readUInt16LE(head + 10);
  return Math.max(0, granule - preSkip) / 48000;
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** ADTS frames of 1,024 samples each. */
function adtsDuration(bytes: Buffer): number {
  let at = 0;
  let seconds = 0;
  while (at + 7 <= bytes.length && bytes[at] === 0xff && (bytes[at + 1] & 0xf6) === 0xf0) {
    const rate = ADTS_RATES[(bytes[at + 2] >> 2) & 0x0f];
    const length = ((bytes[at + 3] & 0x03) << 11) | (bytes[at + 4] << 3) | (bytes[at + 5] >> 5);
    if (!rate || length < 7) break;
    seconds += 1024 / rate;
    at += length;
  }
  return seconds;
}

/** FLAC's STREAMINFO: total samples (0 when the encoder could not know them) over the rate. */
function flacDuration(bytes: Buffer): number {
  if (bytes.length < 26 || bytes.toString('latin1', 0, 4) !== 'fLaC') return 0;
  const info = 8;
  const rate = (bytes[info + 10] << 12) | (bytes[info + 11] << 4) | (bytes[info + 12] >> 4);
  const total = (bytes[info + 13] & 0x0f) * 2 ** 32 + bytes.readUInt32BE(info + 14);
  return rate > 0 ? total / rate : 0;
}
