import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { locateFfmpeg, locateFfprobe } from '../../../src/audio/ffmpeg';

const run = promisify(execFile);

export interface ProbedAudio {
  formatName: string;
  codecName: string;
  channels: number;
  sampleRate: number;
  /** Seconds as ffprobe reports them (format, else stream); NaN when it reports none. */
  durationSeconds: number;
}

/** A test that needs ffprobe fails without it; it never quietly skips. */
function requiredBinary(path: string | undefined, name: string): string {
  if (!path) throw new Error(`${name} is missing: it comes with npm ci (@ffmpeg-installer/ffmpeg, @ffprobe-installer/ffprobe)`);
  return path;
}

async function withTempFile<T>(bytes: Buffer, extension: string, use: (path: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), 'sauti-audio-'));
  const path = join(directory, `audio.${extension}`);
  try {
    await writeFile(path, bytes);
    return await use(path);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** `inputArguments` describes headerless input (raw pcm) to ffprobe. */
export async function probeAudio(bytes: Buffer, extension: string, inputArguments: string[] = []): Promise<ProbedAudio> {
  const ffprobe = requiredBinary(locateFfprobe(), 'ffprobe');
  return withTempFile(bytes, extension, async (path) => {
    const { stdout } = await run(ffprobe, ['-v', 'error', ...inputArguments, '-show_streams', '-show_format', '-of', 'json', path]);
    const parsed = JSON.parse(stdout) as { streams: Array<Record<string, string | number>>; format: Record<string, string | number> };
    const audio = parsed.streams.filter((stream) => stream.codec_type === 'audio');
    if (audio.length !== 1) throw new Error(`expected one audio stream, ffprobe found ${audio.length}`);
    const stream = audio[0];
    return {
      formatName: String(parsed.format.format_name),
      codecName: String(stream.codec_name),
      channels: Number(stream.channels),
      sampleRate: Number(stream.sample_rate),
      durationSeconds: Number(parsed.format.duration ?? stream.duration),
    };
  });
}

/** Decodes with ffmpeg to mono 16-bit PCM at `sampleRate`: what a player would hear. */
export async function decodeToPcm(
  bytes: Buffer,
  extension: string,
  sampleRate: number,
  inputArguments: string[] = [],
): Promise<Int16Array> {
  const ffmpeg = requiredBinary(locateFfmpeg(), 'ffmpeg');
  return withTempFile(bytes, extension, async (path) => {
    const { stdout } = await run(
      ffmpeg,
      ['-v', 'error', ...inputArguments, '-i', path, '-f', 's16le', '-ac', '1', '-ar', String(sampleRate), 'pipe:1'],
      {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.length / 2));
  });
}

/**
 * Frequency from rising zero crossings, with hysteresis so codec noise in the priming silence does not
 * count, measured between the first and last crossing so that silence does not dilute it.
 */
export function dominantFrequency(pcm: Int16Array, sampleRate: number, threshold = 1000): number {
  const rising: number[] = [];
  let low = false;
  for (let i = 0; i < pcm.length; i++) {
    if (pcm[i] < -threshold) low = true;
    else if (low && pcm[i] > threshold) {
      rising.push(i);
      low = false;
    }
  }
  if (rising.length < 2) return 0;
  return (rising.length - 1) / ((rising[rising.length - 1] - rising[0]) / sampleRate);
}

export function sine(frequency: number, seconds: number, sampleRate: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return samples;
}

/** ffmpeg processes whose parent is this test process, zombies included (state Z). */
export function ffmpegChildren(): string[] {
  const children: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === process.pid && /ffmpeg|sleep|sh/.test(command)) children.push(`${entry} ${command} ${state}`);
    } catch {
      // The process ended while we were looking.
    }
  }
  return children;
}
