import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { DEFAULT_VOICE_SETTINGS } from '../src/common/voice-settings';
import { feeds } from '../src/providers/vits/inference.worker';
import type { VoiceModel } from '../src/providers/vits/voice-models';
import { toVitsScales } from '../src/providers/vits/vits-scales';
import type { VitsProvider } from '../src/providers/vits/vits.provider';
import { PreparedChunk, prepareText } from '../src/providers/vits/vits.synthesizer';

/**
 * The three ways the vits bench runs the same weights, behind one shape: one synthesis of a text, timed
 * from the call to its first audio and to its last sample.
 */
export interface SynthesisTiming {
  totalMs: number;
  firstAudioMs: number;
  audioSeconds: number;
  /** The audio without the pauses the engine added between chunks (the provider's 0.2 s after each sentence): the model's output. */
  speechSeconds: number;
}

export interface Engine {
  name: string;
  speak(text: string): Promise<SynthesisTiming>;
  close(): Promise<void>;
}

const now = () => performance.now();

/** The product's path: normalisation, eSpeak sessions, ids, ONNX runs in the worker pool, PCM chunks streamed. */
export function providerEngine(name: string, provider: VitsProvider, voice: VoiceModel): Engine {
  // The pauses the provider puts between chunks (silence it writes, not model output), from the same chunking, outside the timing.
  const pauses = new Map<string, number>();
  return {
    name,
    async speak(text) {
      if (!pauses.has(text)) {
        const chunks = await prepareText(voice, text, new AbortController().signal);
        const samples = chunks.slice(0, -1).reduce((sum, p) => sum + Math.round(p.chunk.pauseAfterSeconds * voice.sampleRate), 0);
        pauses.set(text, samples / voice.sampleRate);
      }
      const started = now();
      const audio = await provider.synthesize(
        { text, voice: voice.id, settings: DEFAULT_VOICE_SETTINGS, output: { format: 'pcm', sampleRate: voice.sampleRate } },
        { signal: new AbortController().signal, timeoutMs: 600_000, requestId: 'bench' },
      );
      let bytes = 0;
      let firstAudioMs = Number.NaN;
      for await (const chunk of audio.chunks) {
        if (bytes === 0) firstAudioMs = now() - started;
        bytes += chunk.length;
      }
      const audioSeconds = bytes / 2 / audio.descriptor.sampleRate;
      return { totalMs: now() - started, firstAudioMs, audioSeconds, speechSeconds: audioSeconds - pauses.get(text)! };
    },
    close: () => provider.close(),
  };
}

/**
 * The floor: one onnxruntime-node session in this process, fed the ids the provider would compute
 * (phonemized once beforehand, outside the timing), chunk after chunk as Piper's own CLI does.
 */
export async function bareEngine(name: string, voice: VoiceModel, options: InferenceSession.SessionOptions): Promise<Engine> {
  const session = await InferenceSession.create(voice.modelPath, options);
  const scales = toVitsScales(DEFAULT_VOICE_SETTINGS, voice.format === 'piper' ? voice.lengthScale : 1);
  const prepared = new Map<string, PreparedChunk[]>();
  return {
    name,
    async speak(text) {
      let chunks = prepared.get(text);
      if (!chunks) {
        chunks = await prepareText(voice, text, new AbortController().signal);
        prepared.set(text, chunks);
      }
      const started = now();
      let samples = 0;
      let firstAudioMs = Number.NaN;
      for (const chunk of chunks) {
        const outputs = await session.run(feeds(session.inputNames, { modelPath: voice.modelPath, ids: chunk.ids, ...scales }));
        samples += (outputs[session.outputNames[0]].data as Float32Array).length;
        if (Number.isNaN(firstAudioMs)) firstAudioMs = now() - started;
      }
      return {
        totalMs: now() - started,
        firstAudioMs,
        audioSeconds: samples / voice.sampleRate,
        speechSeconds: samples / voice.sampleRate,
      };
    },
    close: () => session.release(),
  };
}

/**
 * sherpa-onnx-node on the same weights (its copy carries sherpa-onnx's metadata): its own eSpeak NG
 * phonemizes, its own onnxruntime runs the model sentence by sentence off the event loop, and each
 * sentence is reported through onProgress. Returns the reason instead when it cannot run here.
 */
export async function sherpaEngine(name: string, sherpaDir: string | undefined, numThreads: number): Promise<Engine | string> {
  if (!sherpaDir) return 'skipped: needs the bench voice (its sherpa-onnx copy)';
  const espeakData = join(sherpaDir, 'espeak-ng-data');
  if (!existsSync(join(espeakData, 'phontab'))) return `skipped: ${espeakData} is missing (scripts/generate-bench-voice.sh links it)`;
  let sherpa: typeof import('sherpa-onnx-node');
  try {
    sherpa = await import('sherpa-onnx-node');
  } catch (error) {
    return `skipped: sherpa-onnx-node does not load: ${(error as Error).message.split('\n')[0]}`;
  }
  const settings = DEFAULT_VOICE_SETTINGS;
  const tts = await sherpa.OfflineTts.createAsync({
    model: {
      vits: {
        model: join(sherpaDir, 'model.onnx'),
        tokens: join(sherpaDir, 'tokens.txt'),
        dataDir: espeakData,
        noiseScale: settings.noiseScale,
        noiseScaleW: settings.noiseScaleDuration,
        lengthScale: 1 / settings.speakingRate,
      },
      numThreads,
      provider: 'cpu',
    },
    maxNumSentences: 1,
    // Pauses at full length, as the provider and the bare session give them (sherpa-onnx shortens them to 0.2× by default).
    silenceScale: 1,
  });
  return {
    name,
    async speak(text) {
      const started = now();
      let firstAudioMs = Number.NaN;
      const audio = await tts.generateAsync({
        text,
        sid: 0,
        speed: 1,
        onProgress: () => {
          if (Number.isNaN(firstAudioMs)) firstAudioMs = now() - started;
          return 1;
        },
      });
      // silenceScale 1 leaves the audio as the model made it; sherpa-onnx adds no pause between sentences.
      const seconds = audio.samples.length / audio.sampleRate;
      return { totalMs: now() - started, firstAudioMs, audioSeconds: seconds, speechSeconds: seconds };
    },
    // The addon frees the engine when it is garbage-collected; it has no close.
    close: () => Promise.resolve(),
  };
}
