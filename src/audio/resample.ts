/**
 * Sample-rate conversion with a windowed-sinc (Blackman) low-pass interpolator: band-limited, so
 * downsampling does not alias and nothing is dropped. The cut-off sits at 95% of the lower Nyquist
 * frequency; each output sample is a weighted sum of the input samples within ZERO_CROSSINGS lobes.
 * For rational ratios (all the usual rates) the kernels are computed once per phase.
 */

/** Sinc lobes on each side: 16 gives a steep transition band and ~-74 dB stop band with Blackman. */
const ZERO_CROSSINGS = 16;
/** Fraction of the lower Nyquist frequency kept: leaves the filter room to roll off. */
const ROLLOFF = 0.95;
/** Largest phase table kept; exotic ratios beyond it compute each kernel on the fly. */
const MAX_CACHED_PHASES = 4096;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function blackman(x: number): number {
  // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

function sinc(x: number): number {
  return x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
}

interface Filter {
  /** Cut-off in cycles per input sample. */
  cutoff: number;
  /** Half the kernel's length, in input samples. */
  halfWidth: number;
}

/** Weights for output position `first + fraction` (in input samples); normalised to unit DC gain. */
function kernel(filter: Filter, fraction: number): { first: number; weights: Float64Array } {
  const first = Math.floor(fraction - filter.halfWidth) + 1;
  const last = Math.floor(fraction + filter.halfWidth);
  const weights = new Float64Array(last - first + 1);
  let sum = 0;
  for (let k = first; k <= last; k++) {
    const distance = fraction - k;
    const weight = 2 * filter.cutoff * sinc(2 * filter.cutoff * distance) * blackman(distance / filter.halfWidth);
    weights[k - first] = weight;
    sum += weight;
  }
  for (let i = 0; i < weights.length; i++) weights[i] /= sum;
  return { first, weights };
}

/** One kernel per phase, flattened: phase p's weights start at p × width. */
interface PhaseTable {
  firsts: Int32Array;
  weights: Float32Array;
  width: number;
}

function phaseTable(filter: Filter, up: number): PhaseTable {
  const kernels = Array.from({ length: up }, (_, phase) => kernel(filter, phase / up));
  const width = Math.max(...kernels.map((k) => k.weights.length));
  const weights = new Float32Array(up * width);
  const firsts = new Int32Array(up);
  kernels.forEach((k, phase) => {
    firsts[phase] = k.first;
    weights.set(k.weights, phase * width);
  });
  return { firsts, weights, width };
}

/** `samples` at `fromRate` → the same sound at `toRate`. Length: round(n × toRate / fromRate). */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0) || !Number.isInteger(fromRate) || !Number.isInteger(toRate))
    throw new RangeError(`cannot resample ${fromRate} Hz to ${toRate} Hz`);
  if (fromRate === toRate) return samples;
  const divisor = gcd(fromRate, toRate);
  const up = toRate / divisor; // phases
  const down = fromRate / divisor;
  const cutoff = 0.5 * ROLLOFF * Math.min(1, toRate / fromRate);
  const filter: Filter = { cutoff, halfWidth: ZERO_CROSSINGS / (2 * cutoff) };
  const output = new Float32Array(Math.round((samples.length * toRate) / fromRate));
  if (up > MAX_CACHED_PHASES) return resampleUncached(samples, output, filter, up, down);
  const table = phaseTable(filter, up);
  const last = samples.length - 1;
  for (let n = 0; n < output.length; n++) {
    // Output n sits at input position n·down/up = base + phase/up.
    const numerator = n * down;
    const base = Math.floor(numerator / up);
    const phase = numerator - base * up;
    const start = base + table.firsts[phase];
    const offset = phase * table.width;
    // Interior samples (nearly all) skip the edge checks; kernels shorter than `width` are zero-padded.
    const from = Math.max(0, -start);
    const to = Math.min(table.width, last - start + 1);
    let sum = 0;
    for (let i = from; i < to; i++) sum += samples[start + i] * table.weights[offset + i];
    output[n] = sum;
  }
  return output;
}

/** Exotic ratios (more phases than worth caching): each kernel computed where it is used. */
function resampleUncached(samples: Float32Array, output: Float32Array, filter: Filter, up: number, down: number): Float32Array {
  const last = samples.length - 1;
  for (let n = 0; n < output.length; n++) {
    const numerator = n * down;
    const base = Math.floor(numerator / up);
    const taps = kernel(filter, (numerator - base * up) / up);
    let sum = 0;
    for (let i = 0; i < taps.weights.length; i++) {
      const index = base + taps.first + i;
      if (index >= 0 && index <= last) sum += samples[index] * taps.weights[i];
    }
    output[n] = sum;
  }
  return output;
}

/** A segment boundary in samples at `fromRate`, expressed at `toRate`. */
export function rescaleSampleIndex(index: number, fromRate: number, toRate: number): number {
  return Math.round((index * toRate) / fromRate);
}
