import { readFileSync } from 'node:fs';
import { createEncoder, WasmMediaEncoder } from 'wasm-media-encoders';

/** Bitrates LAME takes for constant-bitrate mp3 (kbps). */
export const MP3_BITRATES = [8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320] as const;
export type Mp3Bitrate = (typeof MP3_BITRATES)[number];

/**
 * Encoders kept ready for reuse, already configured for their rate and bitrate: creating one costs
 * ~0.3 ms and configuring it (LAME's init) ~1 ms, which a request should not wait for. After use an
 * encoder is configured again for the same settings once the request's own work is done.
 */
const MAX_READY_ENCODERS = 8;

let compiled: Promise<WebAssembly.Module> | undefined;
const ready = new Map<string, WasmMediaEncoder<'audio/mpeg'>[]>();
let readyCount = 0;

function mp3Module(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(readFileSync(require.resolve('wasm-media-encoders/wasm/mp3')));
  return compiled;
}

/**
 * LAME compiled to WebAssembly (the `wasm-media-encoders` package), in this process: no ffmpeg
 * process per request. Chosen after measuring (docs/audio-formats.md): ~5 ms of CPU per second of
 * 24 kHz speech at 64 kbps, against ~26 ms to spawn ffmpeg for each request and ~24 ms for the
 * pure-JavaScript lamejs port. Frames come out as soon as LAME has them; the concatenation is one
 * mp3 file of bare frames (no Xing header or ID3 tag), as ffmpeg wrote before.
 */
export class Mp3Encoder {
  private finished = false;

  private constructor(
    private readonly encoder: WasmMediaEncoder<'audio/mpeg'>,
    private readonly sampleRate: number,
    private readonly bitrateKbps: Mp3Bitrate,
  ) {}

  static async create(sampleRate: number, bitrateKbps: Mp3Bitrate): Promise<Mp3Encoder> {
    const waiting = ready.get(`${sampleRate}:${bitrateKbps}`)?.pop();
    if (waiting) {
      readyCount--;
      return new Mp3Encoder(waiting, sampleRate, bitrateKbps);
    }
    const encoder = await createEncoder('audio/mpeg', await mp3Module());
    configure(encoder, sampleRate, bitrateKbps);
    return new Mp3Encoder(encoder, sampleRate, bitrateKbps);
  }

  /** The mp3 bytes these samples complete (often none: LAME works a frame of 1,152 samples at a time). */
  encode(samples: Float32Array): Buffer {
    // The result is a view of the encoder's memory, overwritten by the next call: copied out.
    return Buffer.from(this.encoder.encode([samples]));
  }

  /** The last frames; the encoder goes back to the idle list. */
  finish(): Buffer {
    const tail = Buffer.from(this.encoder.finalize());
    this.release();
    return tail;
  }

  /** Gives the encoder back without finishing (the stream was abandoned): configure() resets it for the next request. */
  release(): void {
    if (this.finished) return;
    this.finished = true;
    if (readyCount >= MAX_READY_ENCODERS) return;
    readyCount++;
    setImmediate(() => {
      configure(this.encoder, this.sampleRate, this.bitrateKbps);
      const key = `${this.sampleRate}:${this.bitrateKbps}`;
      ready.set(key, [...(ready.get(key) ?? []), this.encoder]);
    });
  }
}

/**
 * Mono CBR at the input's rate. The output rate is named: left to itself LAME may pick a lower one for
 * a low bitrate, and a client that asked for mp3 at a rate must get that rate.
 */
function configure(encoder: WasmMediaEncoder<'audio/mpeg'>, sampleRate: number, bitrate: Mp3Bitrate): void {
  encoder.configure({ channels: 1, sampleRate, bitrate, outputSampleRate: sampleRate as Mp3OutputRate });
}

type Mp3OutputRate = 8000 | 11025 | 12000 | 16000 | 22050 | 24000 | 32000 | 44100 | 48000;
