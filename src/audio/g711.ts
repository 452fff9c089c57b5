/**
 * G.711 companding (ITU-T G.711): 16-bit linear PCM → 8-bit μ-law or A-law, the telephony formats
 * (IVR, SIP trunks, Twilio media streams). A few lines of integer arithmetic per sample, so written
 * here rather than routed through ffmpeg: no process per request, and the first byte leaves with the
 * first chunk. The segment search follows the reference C implementation (Sun Microsystems' g711.c,
 * public domain); decoders are included so tests can check a round trip against known values.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;
/** Upper bounds of A-law's eight segments, in 13-bit magnitude. */
const ALAW_SEGMENT_ENDS = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

/** One 16-bit sample as a μ-law byte (silence is 0xFF, full scale 0x80 / 0x00). */
export function linearToUlaw(sample: number): number {
  let value = sample;
  const sign = value < 0 ? 0x80 : 0;
  if (sign) value = -value;
  if (value > ULAW_CLIP) value = ULAW_CLIP;
  value += ULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (value & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (value >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One 16-bit sample as an A-law byte (silence is 0xD5, full scale 0xAA / 0x2A). */
export function linearToAlaw(sample: number): number {
  let value = sample >> 3; // A-law works on 13 bits
  let mask: number;
  if (value >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    value = -value - 1;
  }
  const segment = ALAW_SEGMENT_ENDS.findIndex((end) => value <= end);
  if (segment < 0) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

export function ulawToLinear(byte: number): number {
  const value = ~byte & 0xff;
  const magnitude = (((value & 0x0f) << 3) + ULAW_BIAS) << ((value & 0x70) >> 4);
  return value & 0x80 ? ULAW_BIAS - magnitude : magnitude - ULAW_BIAS;
}

export function alawToLinear(byte: number): number {
  const value = byte ^ 0x55;
  const segment = (value & 0x70) >> 4;
  let magnitude = (value & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

export type G711Law = 'ulaw' | 'alaw';

/** Float samples in [-1, 1] (clipped beyond) as G.711 bytes, one per sample. */
export function encodeG711(samples: Float32Array, law: G711Law): Buffer {
  const encode = law === 'ulaw' ? linearToUlaw : linearToAlaw;
  const out = Buffer.allocUnsafe(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i];
    const clipped = Number.isNaN(value) ? 0 : Math.max(-1, Math.min(1, value));
    out[i] = encode(clipped < 0 ? Math.round(clipped * 32768) : Math.round(clipped * 32767));
  }
  return out;
}
