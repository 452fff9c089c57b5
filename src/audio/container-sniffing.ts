/** Audio files an upstream may send, told apart by their first bytes. `wav` is read in-process; the rest need ffmpeg. */
export type AudioContainer = 'wav' | CompressedContainer;
export type CompressedContainer = 'mp3' | 'aac' | 'ogg' | 'flac' | 'webm' | 'mp4';

/**
 * The container `bytes` start with, from its magic number, or undefined (raw PCM, or something
 * unknown). MPEG audio and ADTS have no magic word, only a frame sync that raw PCM can also begin with
 * (a sample of -1 is FF FF): their header's fields must hold legal values too. ADTS always writes
 * layer 00, MPEG audio never does.
 */
export function sniffContainer(bytes: Buffer): AudioContainer | undefined {
  if (bytes.length < 4) return undefined;
  const magic = bytes.toString('latin1', 0, 4);
  if (magic === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (magic === 'OggS') return 'ogg';
  if (magic === 'fLaC') return 'flac';
  if (bytes.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  if (bytes.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (isAdtsHeader(bytes)) return 'aac';
  if (isMpegAudioHeader(bytes)) return 'mp3';
  return undefined;
}

/** ADTS: 12-bit sync, layer 00, a sampling-frequency index below 13 (13-15 are reserved). */
function isAdtsHeader(bytes: Buffer): boolean {
  return bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0 && ((bytes[2] >> 2) & 0x0f) < 13;
}

/** MPEG audio: 11-bit sync; version, layer, bitrate and sample-rate fields none of their reserved or "bad" values. */
function isMpegAudioHeader(bytes: Buffer): boolean {
  if (bytes[0] !== 0xff || (bytes[1] & 0xe0) !== 0xe0) return false;
  const version = (bytes[1] >> 3) & 0x03;
  const layer = (bytes[1] >> 1) & 0x03;
  const bitrate = bytes[2] >> 4;
  const sampleRate = (bytes[2] >> 2) & 0x03;
  return version !== 0x01 && layer !== 0x00 && bitrate !== 0x00 && bitrate !== 0x0f && sampleRate !== 0x03;
}

const CONTAINER_MEDIA_TYPES: Record<string, AudioContainer> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/aac': 'aac',
  'audio/aacp': 'aac',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/webm': 'webm',
  'audio/mp4': 'mp4',
};

/** The container a `Content-Type` names (`audio/mpeg` → mp3), or undefined for raw or unknown types. */
export function containerOfMediaType(contentType: string | undefined): AudioContainer | undefined {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  return mediaType ? CONTAINER_MEDIA_TYPES[mediaType] : undefined;
}
