import { AudioPipeline } from '../../../src/audio/audio-pipeline';
import { AudioContainer, containerOfMediaType, sniffContainer } from '../../../src/audio/container-sniffing';
import type { AudioFormat } from '../../../src/audio/audio-format';
import { encodeWav, floatToPcm16 } from '../../../src/audio/wav';
import { toneSamples } from '../../fakes/scriptable-upstream';

const RATE = 24000;
const SECONDS = 0.5;

const tone = () => toneSamples(SECONDS, RATE);

describe('sniffContainer', () => {
  it.each<[AudioFormat, AudioContainer]>([
    ['mp3', 'mp3'],
    ['opus', 'ogg'],
    ['aac', 'aac'],
    ['flac', 'flac'],
  ])('recognises %s from the encoder as %s', async (format, container) => {
    const pipeline = new AudioPipeline();
    try {
      const encoded = await pipeline.encode(tone(), RATE, { format, sampleRate: RATE });
      expect(sniffContainer(encoded.bytes)).toBe(container);
    } finally {
      pipeline.close();
    }
  });

  it('recognises WAV, ID3-tagged mp3, MP4 and Matroska headers', () => {
    expect(sniffContainer(encodeWav(tone(), RATE))).toBe('wav');
    expect(sniffContainer(Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1'))).toBe('mp3');
    expect(sniffContainer(Buffer.from('\u0000\u0000\u0000\u0018ftypM4A ', 'latin1'))).toBe('mp4');
    expect(sniffContainer(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01, 0x00]))).toBe('webm');
  });

  it('finds nothing in raw PCM or in too few bytes', () => {
    expect(sniffContainer(floatToPcm16(tone()))).toBeUndefined();
    // Samples of -1 are FF FF: a frame sync, but with a "bad" bitrate index, so not an mp3 header.
    expect(sniffContainer(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00]))).toBeUndefined();
    expect(sniffContainer(Buffer.from([0xff, 0xfb, 0xf0, 0x00, 0x00, 0x00]))).toBeUndefined();
    expect(sniffContainer(Buffer.from([0xff, 0xfb, 0x90, 0x64]))).toBe('mp3');
    expect(sniffContainer(Buffer.alloc(4800))).toBeUndefined();
    expect(sniffContainer(Buffer.from('ID'))).toBeUndefined();
  });
});

describe('containerOfMediaType', () => {
  it('maps audio media types, ignoring parameters and case, and nothing else', () => {
    expect(containerOfMediaType('audio/mpeg')).toBe('mp3');
    expect(containerOfMediaType('Audio/Ogg; codecs=opus')).toBe('ogg');
    expect(containerOfMediaType('audio/x-wav')).toBe('wav');
    expect(containerOfMediaType('audio/flac')).toBe('flac');
    expect(containerOfMediaType('audio/pcm;rate=24000')).toBeUndefined();
    expect(containerOfMediaType('application/octet-stream')).toBeUndefined();
    expect(containerOfMediaType(undefined)).toBeUndefined();
  });
});
