import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { VoiceEntry } from '../src/config/voices.config';

/**
 * The benchmark voice: a VITS network of a Piper medium voice's shape (15.8 M parameters, 22,050 Hz),
 * randomly initialised with a fixed seed by scripts/generate-bench-voice.py, so the engine can be timed
 * on a network of production size where no trained weights can be downloaded. Its audio is noise.
 * Built on first use into bench/voices/ (ignored by git; ~130 MB with the sherpa-onnx copy). Tests never use it.
 */
export const BENCH_VOICE_ID = 'sauti-bench-medium';

export interface BenchVoice {
  entry: VoiceEntry;
  /** The same weights in the layout sherpa-onnx reads: model.onnx (with its metadata), tokens.txt, espeak-ng-data/. */
  sherpaDir: string;
}

/** The project root, whether this runs from bench/ (ts) or dist/bench/ (js). */
export function projectRoot(): string {
  return __filename.endsWith('.js') ? resolve(__dirname, '..', '..') : resolve(__dirname, '..');
}

export function benchVoiceDir(): string {
  return join(projectRoot(), 'bench', 'voices');
}

/** Builds the voice when its files are missing (a minute or so; installs Debian packages the first time), then describes it. */
export function ensureBenchVoice(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): BenchVoice {
  const dir = benchVoiceDir();
  const model = `${BENCH_VOICE_ID}.onnx`;
  // The generator writes the .onnx.json last, so its presence means a complete voice.
  if (!existsSync(join(dir, `${model}.json`)) || !existsSync(join(dir, model))) {
    log(`building the benchmark voice ${BENCH_VOICE_ID} into ${dir} (scripts/generate-bench-voice.sh)`);
    const built = spawnSync('bash', [join(projectRoot(), 'scripts', 'generate-bench-voice.sh'), dir], { stdio: 'inherit' });
    if (built.status !== 0) throw new Error(`scripts/generate-bench-voice.sh failed (exit ${built.status ?? built.signal})`);
  }
  const entry = Object.assign(new VoiceEntry(), {
    id: BENCH_VOICE_ID,
    format: 'piper' as const,
    model,
    dir,
    language: 'sw',
    description: 'Benchmark voice: random weights in a Piper medium network (noise, not speech)',
    test_voice: false,
  });
  return { entry, sherpaDir: join(dir, `${BENCH_VOICE_ID}-sherpa`) };
}
