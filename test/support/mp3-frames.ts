/** An MPEG audio frame header, read as a player reads it (ISO/IEC 11172-3 and 13818-3). */
export interface Mp3FrameHeader {
  version: 1 | 2 | 2.5;
  layer: number;
  bitrateKbps: number;
  sampleRate: number;
  frameBytes: number;
}

const BITRATES: Record<'1' | '2', number[]> = {
  '1': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const RATES: Record<string, number[]> = { '1': [44100, 48000, 32000], '2': [22050, 24000, 16000], '2.5': [11025, 12000, 8000] };

function headerAt(bytes: Buffer, at: number): Mp3FrameHeader | undefined {
  if (bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return undefined;
  const versionBits = (bytes[at + 1] >> 3) & 0x03;
  const layerBits = (bytes[at + 1] >> 1) & 0x03;
  const bitrateIndex = bytes[at + 2] >> 4;
  const rateIndex = (bytes[at + 2] >> 2) & 0x03;
  const padding = (bytes[at + 2] >> 1) & 0x01;
  if (versionBits === 1 || layerBits !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return undefined;
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const bitrateKbps = BITRATES[version === 1 ? '1' : '2'][bitrateIndex];
  const sampleRate = RATES[String(version)][rateIndex];
  const samplesPerFrame = version === 1 ? 1152 : 576;
  const frameBytes = Math.floor((samplesPerFrame / 8) * ((bitrateKbps * 1000) / sampleRate)) + padding;
  return { version, layer: 3, bitrateKbps, sampleRate, frameBytes };
}

/** Every frame header of a file of bare mp3 frames (no ID3 tag), walking frame by frame; throws on a broken chain. */
export function mp3Frames(bytes: Buffer): Mp3FrameHeader[] {
  const frames: Mp3FrameHeader[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const header = headerAt(bytes, at);
    if (!header) throw new Error(`no mp3 frame header at byte ${at} of ${bytes.length}`);
    frames.push(header);
    at += header.frameBytes;
  }
  return frames;
}
