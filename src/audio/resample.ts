/**
 * Sample-rate conversion with a windowed-sinc (Blackman) low-pass interpolator: band-limited, so
 * downsampling does not alias and nothing is dropped. The cut-off sits at 87% of the lower Nyquist
 * frequency, so the filter's transition band ends below it and anything above comes out under −70 dB
 * (at 95% a tone just above the new Nyquist frequency aliased back at −21 dB); each output sample is a
 * weighted sum of the input samples within ZERO_CROSSINGS lobes.
 * For rational ratios (all the usual rates) the kernels are computed once per phase.
 *
 * Kept rather than libsamplerate-js: see docs/libraries.md (measured speed and quality).
 */

/** Sinc lobes on each side: 16 gives a steep transition band and ~-74 dB stop band with Blackman. */
const ZERO_CROSSINGS = 16;
/** Fraction of the lower Nyquist frequency kept: the filter rolls off entirely below the new Nyquist frequency. */
const ROLLOFF = 0.87;
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

/** One kernel per phase, flattened: phase p's weights start at p × width (shorter kernels are zero-padded). */
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

/** Phase tables by ratio: built once per process for each pair of rates in use. */
const tables = new Map<string, PhaseTable>();

/**
 * Resamples audio that arrives in pieces: `push` each piece, `end` after the last. Every output sample
 * is computed once all the input its kernel covers has arrived, so the concatenated output is exactly
 * what `resample` gives for the whole signal (length round(n × toRate / fromRate)). It holds back a
 * kernel's width of input (about a millisecond) until more arrives or the stream ends.
 */
export class StreamResampler {
  private readonly up: number;
  private readonly down: number;
  private readonly filter: Filter;
  private readonly table: PhaseTable | undefined;
  /** Kept input: `held[0]` is input sample number `heldFrom`. */
  private held = new Float32Array(0);
  private heldFrom = 0;
  private received = 0;
  private produced = 0;
  private ended = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    if (!(fromRate > 0 && toRate > 0) || !Number.isInteger(fromRate) || !Number.isInteger(toRate))
      throw new RangeError(`cannot resample ${fromRate} Hz to ${toRate} Hz`);
    const divisor = gcd(fromRate, toRate);
    this.up = toRate / divisor;
    this.down = fromRate / divisor;
    const cutoff = 0.5 * ROLLOFF * Math.min(1, toRate / fromRate);
    this.filter = { cutoff, halfWidth: ZERO_CROSSINGS / (2 * cutoff) };
    if (this.up <= MAX_CACHED_PHASES && fromRate !== toRate) {
      const key = `${fromRate}:${toRate}`;
      this.table = tables.get(key) ?? phaseTable(this.filter, this.up);
      tables.set(key, this.table);
    }
  }

  /** The output samples that `samples` completes. */
  push(samples: Float32Array): Float32Array {
    if (this.ended) throw new Error('StreamResampler.push after end');
    if (this.fromRate === this.toRate) {
      this.received += samples.length;
      return samples;
    }
    this.append(samples);
    return this.produce(false);
  }

  /** The rest of the output, with silence assumed after the last input sample. */
  end(): Float32Array {
    if (this.ended) return new Float32Array(0);
    this.ended = true;
    if (this.fromRate === this.toRate) return new Float32Array(0);
    return this.produce(true);
  }

  private append(samples: Float32Array): void {
    const joined = new Float32Array(this.held.length + samples.length);
    joined.set(this.held);
    joined.set(samples, this.held.length);
    this.held = joined;
    this.received += samples.length;
  }

  private produce(final: boolean): Float32Array {
    // Output n sits at input position n·down/up; no more than this many can be complete yet.
    const total = final
      ? Math.round((this.received * this.toRate) / this.fromRate)
      : Math.floor(((this.received + 1) * this.up) / this.down) + 1;
    const output = new Float32Array(Math.max(0, total - this.produced));
    const last = this.received - 1;
    let count = 0;
    for (let n = this.produced; n < total; n++) {
      const numerator = n * this.down;
      const base = Math.floor(numerator / this.up);
      const phase = numerator - base * this.up;
      const value = this.table ? this.fromTable(base, phase, last, final) : this.uncached(base, phase, last, final);
      if (value === undefined) break;
      output[count++] = value;
    }
    this.produced += count;
    this.forget();
    return output.subarray(0, count);
  }

  /** One output sample from the phase table, or undefined while its kernel still needs input. */
  private fromTable(base: number, phase: number, last: number, final: boolean): number | undefined {
    const table = this.table as PhaseTable;
    const start = base + table.firsts[phase];
    if (!final && start + table.width - 1 > last) return undefined;
    const offset = phase * table.width;
    // Interior samples (nearly all) skip the edge checks; input before 0 or after the end counts as silence.
    const from = Math.max(0, -start);
    const to = Math.min(table.width, last - start + 1);
    const weights = table.weights;
    const held = this.held;
    const shift = start - this.heldFrom;
    let sum = 0;
    for (let i = from; i < to; i++) sum += held[shift + i] * weights[offset + i];
    return sum;
  }

  /** Exotic ratios (more phases than worth caching): each kernel computed where it is used. */
  private uncached(base: number, phase: number, last: number, final: boolean): number | undefined {
    const taps = kernel(this.filter, phase / this.up);
    const start = base + taps.first;
    if (!final && start + taps.weights.length - 1 > last) return undefined;
    let sum = 0;
    for (let i = 0; i < taps.weights.length; i++) {
      const index = start + i;
      if (index >= 0 && index <= last) sum += this.held[index - this.heldFrom] * taps.weights[i];
    }
    return sum;
  }

  /** Drops input that no later output sample can reach. */
  private forget(): void {
    const numerator = this.produced * this.down;
    const base = Math.floor(numerator / this.up);
    const needed = Math.max(0, base - Math.ceil(this.filter.halfWidth) - 1);
    const drop = Math.min(needed - this.heldFrom, this.held.length);
    if (drop <= 0) return;
    this.held = this.held.slice(drop);
    this.heldFrom += drop;
  }
}

/** `samples` at `fromRate` → the same sound at `toRate`. Length: round(n × toRate / fromRate). */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (fromRate === toRate && fromRate > 0) return samples;
  const resampler = new StreamResampler(fromRate, toRate);
  const body = resampler.push(samples);
  const tail = resampler.end();
  if (tail.length === 0) return body;
  const output = new Float32Array(body.length + tail.length);
  output.set(body);
  output.set(tail, body.length);
  return output;
}
