import { readFileSync } from 'node:fs';
import { createEncoder, WasmMediaEncoder } from 'wasm-media-encoders';
import { NativeLame, NativeLameEncoder } from './lame-native';

/** Bitrates LAME takes for constant-bitrate mp3 (kbps). */
export const MP3_BITRATES = [8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;
export type Mp3Bitrate = (typeof MP3_BITRATES)[number];

type LameEncoder = WasmMediaEncoder<'audio/mpeg'>;

/**
 * Encoders kept ready for reuse, already configured for their rate and bitrate: creating one costs
 * ~0.3 ms and configuring it (LAME's init) ~1 ms, which a request should not wait for. After use an
 * encoder is reset for the same settings once the request's own work is done.
 *
 * The reset writes back a snapshot of a freshly configured instance's memory (7.5 MB at 24 kHz/64 kbps,
 * mostly zeros: ~0.1 ms after a request's encode) instead of running LAME's init again (~1.3 ms). An instance's state
 * is its memory plus its mutable globals, and this module's only one, the stack pointer, is back at its
 * start whenever no call runs. Bytes above the snapshot may keep the last stream's data: the restored
 * allocator counts them as free, and calloc, which LAME allocates its state with, clears what it hands
 * out. That is not trusted alone: a key's snapshot serves only once it encoded a reference signal to the
 * bytes a freshly configured encoder gives.
 */
const MAX_READY_ENCODERS = 8;
/** Snapshots kept, one per rate and bitrate (their non-zero blocks, ~0.45 MB at 24 kHz); a key dropped for a newer one uses configure() from then on. */
const MAX_SNAPSHOTS = 4;
const SNAPSHOT_GRANULE = 64 * 1024;

let compiled: Promise<WebAssembly.Module> | undefined;
/** Encoders ready for a stream, per LAME (a library's name, or WebAssembly), rate and bitrate; the count includes those on their way. */
const ready = new Map<string, Array<LameEncoder | NativeLameEncoder>>();
let readyCount = 0;

interface MemorySnapshot {
  /** Runs of 64 KiB blocks from offset 0: the bytes to copy back, or the length of a run that was all zeros. */
  runs: Array<Uint8Array | number>;
  /** The encoder's config pointer inside the memory: an instance whose `ref` differs has another layout. */
  ref: number;
  memoryBytes: number;
}

/** Verified snapshots, least recently used first. */
const snapshots = new Map<string, MemorySnapshot>();
/** Keys without a snapshot in use: being taken and checked, failed the check, or dropped (tried once per process: no thrashing). */
const withoutSnapshot = new Map<string, 'pending' | 'failed' | 'dropped'>();
const resets = { restored: 0, configured: 0 };

export type Mp3SnapshotStatus = 'none' | 'pending' | 'failed' | 'dropped' | 'verified';

/** For tests: how released encoders were reset so far. */
export function mp3ResetCounts(): { restored: number; configured: number } {
  return { ...resets };
}

/** For tests: whether resets at this rate and bitrate copy a snapshot back ('verified') or configure. */
export function mp3SnapshotStatus(sampleRate: number, bitrateKbps: Mp3Bitrate): Mp3SnapshotStatus {
  const key = encoderKey(sampleRate, bitrateKbps);
  return snapshots.has(key) ? 'verified' : (withoutSnapshot.get(key) ?? 'none');
}

function mp3Module(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(readFileSync(require.resolve('wasm-media-encoders/wasm/mp3')));
  return compiled;
}

function encoderKey(sampleRate: number, bitrateKbps: Mp3Bitrate): string {
  return `${sampleRate}:${bitrateKbps}`;
}

/** A pipeline encodes with the LAME it was given: each keeps its own encoders ready. */
function readyKey(lame: NativeLame | undefined, sampleRate: number, bitrateKbps: Mp3Bitrate): string {
  return `${lame?.library ?? 'wasm'}:${encoderKey(sampleRate, bitrateKbps)}`;
}

/**
 * LAME, in this process: no ffmpeg process per request. The system's libmp3lame through FFI when the
 * pipeline was given it (`lame`), else LAME compiled to WebAssembly (the `wasm-media-encoders`
 * package); both are LAME 3.100 at the same settings and write the same bytes. Chosen after measuring
 * (docs/audio-formats.md): per second of 24 kHz speech at 64 kbps, ~1.5 ms native and ~2.8 ms in
 * WebAssembly, against ~26 ms to spawn ffmpeg for each request and ~24 ms for the pure-JavaScript
 * lamejs port. Frames come out as soon as LAME has them; the concatenation is one mp3 file of bare
 * frames (no Xing header or ID3 tag), as ffmpeg wrote before.
 */
export class Mp3Encoder {
  private finished = false;
  /** A library call threw: the instance may be mid-call (stack pointer moved), so it is not reused. */
  private failed = false;

  private constructor(
    private readonly encoder: LameEncoder | NativeLameEncoder,
    private readonly sampleRate: number,
    private readonly bitrateKbps: Mp3Bitrate,
    private readonly lame?: NativeLame,
  ) {}

  /** An encoder ready for a stream: native when `lame` is given, taken from those configured ahead when one waits. */
  static async create(sampleRate: number, bitrateKbps: Mp3Bitrate, lame?: NativeLame): Promise<Mp3Encoder> {
    const waiting = ready.get(readyKey(lame, sampleRate, bitrateKbps))?.pop();
    if (waiting) readyCount--;
    return new Mp3Encoder(waiting ?? (await newEncoder(sampleRate, bitrateKbps, lame)), sampleRate, bitrateKbps, lame);
  }

  /** The mp3 bytes these samples complete (often none: LAME works a frame of 1,152 samples at a time). */
  encode(samples: Float32Array): Buffer {
    const encoder = this.encoder;
    if (encoder instanceof NativeLameEncoder) return this.call(() => encoder.encode(samples));
    // The result is a view of the encoder's memory, overwritten by the next call: copied out.
    return this.call(() => Buffer.from(encoder.encode([samples])));
  }

  /** The last frames; the encoder goes back to the idle list. */
  finish(): Buffer {
    const encoder = this.encoder;
    const tail = this.call(() => (encoder instanceof NativeLameEncoder ? encoder.flush() : Buffer.from(encoder.finalize())));
    this.release();
    return tail;
  }

  /**
   * Gives the encoder back without finishing (the stream was abandoned). A WebAssembly instance is reset
   * for the next request; a native one is closed (LAME has no reset) and a new one configured off this thread.
   */
  release(): void {
    if (this.finished) return;
    this.finished = true;
    const used = this.encoder;
    const native = used instanceof NativeLameEncoder;
    if (native) used.close();
    // A failed WebAssembly instance is not reset for reuse; a native one is replaced by a new one anyway.
    if ((this.failed && !native) || readyCount >= MAX_READY_ENCODERS) return;
    readyCount++;
    const { sampleRate, bitrateKbps, lame } = this;
    const next = native
      ? newEncoder(sampleRate, bitrateKbps, lame)
      : nextTurn().then(() => {
          reset(used, sampleRate, bitrateKbps);
          return used;
        });
    next.then(
      (encoder) => {
        const key = readyKey(lame, sampleRate, bitrateKbps);
        ready.set(key, [...(ready.get(key) ?? []), encoder]);
      },
      () => readyCount--, // LAME refused its settings: none is kept for this key
    );
  }

  private call(encoderCall: () => Buffer): Buffer {
    try {
      return encoderCall();
    } catch (error) {
      this.failed = true;
      throw error;
    }
  }
}

/** A configured encoder: the system's LAME (its init on the thread pool) when given, else a WebAssembly instance. */
async function newEncoder(sampleRate: number, bitrateKbps: Mp3Bitrate, lame?: NativeLame): Promise<LameEncoder | NativeLameEncoder> {
  if (lame) return lame.openOffThread(sampleRate, bitrateKbps);
  const encoder = await createEncoder('audio/mpeg', await mp3Module());
  configure(encoder, sampleRate, bitrateKbps);
  return encoder;
}

/**
 * Mono CBR at the input's rate. The output rate is named: left to itself LAME may pick a lower one for
 * a low bitrate, and a client that asked for mp3 at a rate must get that rate.
 */
function configure(encoder: LameEncoder, sampleRate: number, bitrate: Mp3Bitrate): void {
  encoder.configure({ channels: 1, sampleRate, bitrate, outputSampleRate: sampleRate as Mp3OutputRate });
}

type Mp3OutputRate = 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;

/** The key's verified snapshot when this instance can take it, else configure(); the first reset of a key starts its snapshot. */
function reset(encoder: LameEncoder, sampleRate: number, bitrate: Mp3Bitrate): void {
  const key = encoderKey(sampleRate, bitrate);
  const snapshot = snapshots.get(key);
  if (snapshot && restore(encoder, snapshot)) {
    snapshots.delete(key);
    snapshots.set(key, snapshot);
    resets.restored++;
    return;
  }
  configure(encoder, sampleRate, bitrate);
  resets.configured++;
  if (!snapshot && !withoutSnapshot.has(key)) void prepareSnapshot(key, sampleRate, bitrate);
}

/** The part of a WebAssembly.Memory used here (the compiler's libraries here do not declare the type). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** The library's private fields the snapshot needs, when they have the shape of version 0.7.0's. */
function internals(encoder: LameEncoder): { memory: WasmMemory; ref: number } | undefined {
  const fields = encoder as unknown as { module?: { memory?: unknown }; ref?: unknown };
  const memory = fields.module?.memory;
  // Tested by tag rather than instanceof: jest runs tests in a realm of their own.
  if (Object.prototype.toString.call(memory) !== '[object WebAssembly.Memory]' || typeof fields.ref !== 'number') return undefined;
  return { memory: memory as WasmMemory, ref: fields.ref };
}

/**
 * Writes the snapshot's bytes back: its non-zero blocks copied, its zero blocks (most of it: the stack's
 * reserve and the output buffer) filled with zeros, which is cheaper than copying zeros (~0.2 against
 * ~0.5 ms after an encode, measured).
 */
function restore(encoder: LameEncoder, snapshot: MemorySnapshot): boolean {
  const instance = internals(encoder);
  if (!instance || instance.ref !== snapshot.ref || instance.memory.buffer.byteLength < snapshot.memoryBytes) return false;
  const memory = new Uint8Array(instance.memory.buffer);
  let at = 0;
  for (const run of snapshot.runs) {
    if (typeof run === 'number') {
      memory.fill(0, at, at + run);
      at += run;
    } else {
      memory.set(run, at);
      at += run.length;
    }
  }
  return true;
}

/**
 * Memory up to just past its last non-zero byte, rounded up to 64 KiB (above it a fresh instance holds
 * zeros), as runs of blocks that hold something and runs of blocks that are all zeros.
 */
function takeSnapshot(memory: WasmMemory, ref: number): MemorySnapshot {
  const buffer = memory.buffer;
  const words = new Uint32Array(buffer);
  let last = words.length - 1;
  while (last >= 0 && words[last] === 0) last--;
  const end = Math.min(buffer.byteLength, Math.ceil(((last + 1) * 4) / SNAPSHOT_GRANULE) * SNAPSHOT_GRANULE);
  const wordsPerBlock = SNAPSHOT_GRANULE / 4;
  const zero = (block: number) => {
    for (let word = block * wordsPerBlock; word < (block + 1) * wordsPerBlock; word++) if (words[word] !== 0) return false;
    return true;
  };
  const runs: Array<Uint8Array | number> = [];
  for (let block = 0; block * SNAPSHOT_GRANULE < end;) {
    const from = block;
    const zeros = zero(block);
    while ((block + 1) * SNAPSHOT_GRANULE < end && zero(block + 1) === zeros) block++;
    block++;
    const bytes = (block - from) * SNAPSHOT_GRANULE;
    runs.push(zeros ? bytes : new Uint8Array(buffer, from * SNAPSHOT_GRANULE, bytes).slice());
  }
  return { runs, ref, memoryBytes: buffer.byteLength };
}

/**
 * Off the request path, once per key: a new instance is configured and its memory taken, then it encodes
 * the reference signal fresh and again after a restore. Equal bytes make the snapshot serve; anything
 * else leaves the key to configure(). The steps (a few ms each, more on a busy machine: the scan and the
 * first copy touch fresh pages) run in turns of their own so that requests interleave with them.
 */
async function prepareSnapshot(key: string, sampleRate: number, bitrate: Mp3Bitrate): Promise<void> {
  withoutSnapshot.set(key, 'pending');
  const snapshot = await checkedSnapshot(sampleRate, bitrate).catch(() => undefined);
  if (snapshot) {
    withoutSnapshot.delete(key);
    keepSnapshot(key, snapshot);
  } else {
    withoutSnapshot.set(key, 'failed');
  }
}

/** A new instance's memory right after configure(), when restoring it makes the instance encode as a fresh one. */
async function checkedSnapshot(sampleRate: number, bitrate: Mp3Bitrate): Promise<MemorySnapshot | undefined> {
  const encoder = await createEncoder('audio/mpeg', await mp3Module());
  configure(encoder, sampleRate, bitrate);
  const instance = internals(encoder);
  if (!instance) return undefined;
  const snapshot = takeSnapshot(instance.memory, instance.ref);
  await nextTurn();
  const signal = referenceSignal(sampleRate);
  const fresh = encodeWhole(encoder, signal);
  // Then a long stream in one piece, which grows LAME's input buffer, as a long request leaves the memory.
  encoder.encode([new Float32Array(sampleRate * 5).fill(0.25)]);
  encoder.finalize();
  await nextTurn();
  return restore(encoder, snapshot) && fresh.equals(encodeWhole(encoder, signal)) ? snapshot : undefined;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function keepSnapshot(key: string, snapshot: MemorySnapshot): void {
  snapshots.set(key, snapshot);
  if (snapshots.size <= MAX_SNAPSHOTS) return;
  const oldest = snapshots.keys().next().value as string;
  snapshots.delete(oldest);
  withoutSnapshot.set(oldest, 'dropped');
}

/** 0.5 s of a 440 Hz sine under deterministic noise (a 32-bit LCG): every frame has something to code. */
function referenceSignal(sampleRate: number): Float32Array {
  const samples = new Float32Array(Math.round(sampleRate / 2));
  let seed = 0x2545f491;
  for (let i = 0; i < samples.length; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    samples[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / sampleRate) + 0.2 * (seed / 0x100000000 - 0.5);
  }
  return samples;
}

/** Two chunks of uneven length, then the tail: the bytes a whole request would have. */
function encodeWhole(encoder: LameEncoder, samples: Float32Array): Buffer {
  const split = Math.floor(samples.length * 0.37);
  const parts = [samples.subarray(0, split), samples.subarray(split)].map((chunk) => Buffer.from(encoder.encode([chunk])));
  return Buffer.concat([...parts, Buffer.from(encoder.finalize())]);
}
