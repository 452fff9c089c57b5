import koffi, { KoffiFunc, LibraryHandle } from 'koffi';

/**
 * LAME as the system's shared library (Debian's `libmp3lame0`), called through koffi's FFI: the same
 * LAME 3.100 that the WebAssembly build compiles, at the same settings, so the bytes are the same
 * (tested), in about half the time (docs/audio-formats.md). No addon is compiled on install: koffi
 * ships its binaries in its npm packages and the library is opened at run time.
 */
export interface NativeLame {
  /** What dlopen opened (a file name or a path). */
  readonly library: string;
  /** LAME's own version string, e.g. "3.100". */
  readonly version: string;
  /** A configured encoder, LAME's init (~0.8 ms here) run on libuv's thread pool instead of this thread. */
  openOffThread(sampleRate: number, bitrateKbps: number): Promise<NativeLameEncoder>;
}

/** File names tried, in order, when LAME_LIBRARY is unset (Linux's soname first, then macOS and Windows names). */
const LAME_LIBRARY_NAMES = ['libmp3lame.so.0', 'libmp3lame.so', 'libmp3lame.0.dylib', 'libmp3lame.dylib', 'libmp3lame.dll'];

type Pointer = unknown;

interface LameFunctions {
  init(): Pointer;
  setNumChannels(gfp: Pointer, value: number): number;
  setInSamplerate(gfp: Pointer, value: number): number;
  setOutSamplerate(gfp: Pointer, value: number): number;
  setBrate(gfp: Pointer, value: number): number;
  setVbr(gfp: Pointer, value: number): number;
  setWriteVbrTag(gfp: Pointer, value: number): number;
  setId3Automatic(gfp: Pointer, value: number): number;
  initParams: KoffiFunc<(gfp: Pointer) => number>;
  encodeFloat(gfp: Pointer, left: Float32Array, right: null, samples: number, out: Buffer, outSize: number): number;
  flush(gfp: Pointer, out: Buffer, outSize: number): number;
  close(gfp: Pointer): number;
  version(): string;
}

const VBR_OFF = 0;

function bind(library: LibraryHandle): LameFunctions {
  const setter = (name: string) => library.func(`int ${name}(void *gfp, int value)`) as (gfp: Pointer, value: number) => number;
  return {
    init: library.func('void *lame_init()') as () => Pointer,
    setNumChannels: setter('lame_set_num_channels'),
    setInSamplerate: setter('lame_set_in_samplerate'),
    setOutSamplerate: setter('lame_set_out_samplerate'),
    setBrate: setter('lame_set_brate'),
    setVbr: setter('lame_set_VBR'),
    setWriteVbrTag: setter('lame_set_bWriteVbrTag'),
    setId3Automatic: setter('lame_set_write_id3tag_automatic'),
    initParams: library.func('int lame_init_params(void *gfp)') as LameFunctions['initParams'],
    encodeFloat: library.func(
      'int lame_encode_buffer_ieee_float(void *gfp, const float *left, const float *right, int samples, uint8_t *out, int outSize)',
    ) as LameFunctions['encodeFloat'],
    flush: library.func('int lame_encode_flush(void *gfp, uint8_t *out, int outSize)') as LameFunctions['flush'],
    close: library.func('int lame_close(void *gfp)') as (gfp: Pointer) => number,
    version: library.func('const char *get_lame_version()') as () => string,
  };
}

/** LAME's documented worst case for the mp3 bytes of `samples` samples: 1.25 × samples + 7,200. */
function worstCaseBytes(samples: number): number {
  return Math.ceil(1.25 * samples) + 7200;
}

/**
 * Output room shared by every encoder of the process: calls are synchronous on this thread, and what a
 * call wrote is copied out before the next one.
 */
let scratch = Buffer.alloc(worstCaseBytes(48_000));

function room(samples: number): Buffer {
  const needed = worstCaseBytes(samples);
  if (scratch.length < needed) scratch = Buffer.alloc(Math.max(needed, scratch.length * 2));
  return scratch;
}

/** One LAME encoder: mono, constant bitrate, no Xing frame or ID3 tag, output at the input's rate. */
export class NativeLameEncoder {
  private closed = false;

  constructor(
    private readonly lame: LameFunctions,
    private readonly gfp: Pointer,
  ) {}

  /** The mp3 bytes these samples complete (often none: LAME works a frame at a time). */
  encode(samples: Float32Array): Buffer {
    if (samples.length === 0) return Buffer.alloc(0);
    const out = room(samples.length);
    const written = this.lame.encodeFloat(this.gfp, samples, null, samples.length, out, out.length);
    return copyOut(out, written, 'lame_encode_buffer_ieee_float');
  }

  /** The last frames. The encoder takes no more samples after this. */
  flush(): Buffer {
    const out = room(0);
    return copyOut(out, this.lame.flush(this.gfp, out, out.length), 'lame_encode_flush');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lame.close(this.gfp);
  }
}

function copyOut(out: Buffer, written: number, call: string): Buffer {
  if (written < 0) throw new Error(`LAME's ${call} failed (${written})`);
  return Buffer.from(out.subarray(0, written));
}

/** A new LAME instance with the settings, before LAME's init (lame_init_params) has run. */
function configured(lame: LameFunctions, sampleRate: number, bitrateKbps: number): Pointer {
  const gfp = lame.init();
  if (!gfp) throw new Error('lame_init failed');
  lame.setNumChannels(gfp, 1);
  lame.setInSamplerate(gfp, sampleRate);
  // Named, or LAME may pick a lower rate for a low bitrate: a client that asked for a rate gets it.
  lame.setOutSamplerate(gfp, sampleRate);
  lame.setVbr(gfp, VBR_OFF);
  lame.setBrate(gfp, bitrateKbps);
  lame.setWriteVbrTag(gfp, 0);
  lame.setId3Automatic(gfp, 0);
  return gfp;
}

function initialised(lame: LameFunctions, gfp: Pointer, status: number, sampleRate: number, bitrateKbps: number): NativeLameEncoder {
  if (status < 0) {
    lame.close(gfp);
    throw new Error(`LAME refused ${sampleRate} Hz at ${bitrateKbps} kbit/s (${status})`);
  }
  return new NativeLameEncoder(lame, gfp);
}

const loaded = new Map<string, NativeLame | undefined>();

/**
 * LAME from `library` (a file name dlopen searches for, or a path), or from the usual names when it is
 * undefined; undefined when none opens. The result is kept per name: opened once per process.
 */
export function loadNativeLame(library?: string): NativeLame | undefined {
  const key = library ?? '';
  if (!loaded.has(key)) loaded.set(key, open(library === undefined ? LAME_LIBRARY_NAMES : [library]));
  return loaded.get(key);
}

function open(names: string[]): NativeLame | undefined {
  for (const name of names) {
    let lame: LameFunctions;
    try {
      lame = bind(koffi.load(name));
      // The first init also fills LAME's global tables: done here, on this thread, before any init runs
      // off it. (Every later init writes those tables again, pow43, ipow20 and the like, with the values
      // they already hold, so an encode on this thread reading them meanwhile reads the same values.)
      const probe = configured(lame, 24000, 64);
      initialised(lame, probe, lame.initParams(probe), 24000, 64).close();
    } catch {
      continue; // not there, or not LAME
    }
    return {
      library: name,
      version: lame.version(),
      openOffThread: (sampleRate, bitrateKbps) => {
        const gfp = configured(lame, sampleRate, bitrateKbps);
        return new Promise((resolve, reject) =>
          lame.initParams.async(gfp, (error: unknown, status) => {
            if (error) {
              lame.close(gfp);
              return reject(error instanceof Error ? error : new Error(String(error)));
            }
            try {
              resolve(initialised(lame, gfp, status, sampleRate, bitrateKbps));
            } catch (refused) {
              reject(refused as Error);
            }
          }),
        );
      },
    };
  }
  return undefined;
}
