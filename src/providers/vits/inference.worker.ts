/**
 * Runs in piscina worker threads, never on the api's event loop: onnxruntime-node's `run()` blocks
 * the thread that calls it. (Phonemization runs in eSpeak's own long-lived threads: src/espeak.)
 *
 * Each thread creates a voice's InferenceSession once, on first use, and keeps it while the model file stays the same:
 * creating and releasing sessions per request leaks native memory and costs model-load time.
 */
import { isMainThread, workerData } from 'node:worker_threads';
import Piscina from 'piscina';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { floatToInt16 } from '../../audio/wav';
import { vitsSessionOptions } from './session-options';

export interface InferenceWorkerData {
  /** onnxruntime intra-op threads for each session in this thread. */
  intraOpThreads: number;
}

export interface InferTask {
  modelPath: string;
  /** The model file's version as the caller read it (VoiceModel.modelStamp): a new one opens a new session. */
  modelStamp?: string;
  ids: number[];
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
  speakerId?: number;
  /**
   * `pcm16`: the audio comes back as 16-bit samples (native byte order), converted here in one pass from
   * onnxruntime's output, instead of a float copy the caller converts again. Default `float32`.
   */
  output?: 'float32' | 'pcm16';
  /** Zero samples allocated after the speech in the same array (the pause that follows it), so the caller need not copy to add them. */
  silenceAfter?: number;
}

const sessions = new Map<string, { stamp?: string; session: Promise<InferenceSession> }>();

function sessionOptions(): InferenceSession.SessionOptions {
  const data = (isMainThread ? undefined : (workerData as InferenceWorkerData | undefined)) ?? { intraOpThreads: 1 };
  return vitsSessionOptions(data.intraOpThreads);
}

/**
 * The thread's session for the model, opened on first use. A model file replaced on disk (another
 * stamp) gets a new session and the old one is released: this thread runs one task at a time
 * (piscina's default), so no run is using it.
 */
function session(modelPath: string, stamp?: string): Promise<InferenceSession> {
  const open = sessions.get(modelPath);
  if (open && open.stamp === stamp) return open.session;
  const created = InferenceSession.create(modelPath, sessionOptions());
  const entry = { stamp, session: created };
  created.catch(() => {
    if (sessions.get(modelPath) === entry) sessions.delete(modelPath);
  });
  sessions.set(modelPath, entry);
  open?.session.then((old) => old.release()).catch(() => undefined);
  return created;
}

function int64(values: number[], dims: number[]): Tensor {
  return new Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

function float32(values: number[], dims: number[]): Tensor {
  return new Tensor('float32', Float32Array.from(values), dims);
}

/**
 * Feeds for the three VITS export conventions met in the wild: Piper (`input`, `input_lengths`,
 * `scales`), sherpa-onnx / Coqui (`x`, `x_length`, `noise_scale`, `length_scale`, `noise_scale_w`)
 * and Hugging Face transformers (`input_ids`, where the pace is baked into the export).
 */
export function feeds(inputNames: readonly string[], task: InferTask): Record<string, Tensor> {
  const n = task.ids.length;
  const has = (name: string) => inputNames.includes(name);
  const result: Record<string, Tensor> = {};
  if (has('input')) {
    result.input = int64(task.ids, [1, n]);
    result.input_lengths = int64([n], [1]);
    result.scales = float32([task.noiseScale, task.lengthScale, task.noiseW], [3]);
  } else if (has('x')) {
    result.x = int64(task.ids, [1, n]);
    result.x_length = int64([n], [1]);
    result.noise_scale = float32([task.noiseScale], [1]);
    result.length_scale = float32([task.lengthScale], [1]);
    result.noise_scale_w = float32([task.noiseW], [1]);
  } else if (has('input_ids')) {
    result.input_ids = int64(task.ids, [1, n]);
    if (has('attention_mask'))
      result.attention_mask = int64(
        task.ids.map(() => 1),
        [1, n],
      );
  } else {
    throw new Error(`unsupported VITS model inputs: ${inputNames.join(', ')}`);
  }
  if (has('sid')) result.sid = int64([task.speakerId ?? 0], [1]);
  return result;
}

async function infer(task: InferTask): Promise<Float32Array | Int16Array> {
  const model = await session(task.modelPath, task.modelStamp);
  const outputs = await model.run(feeds(model.inputNames, task));
  const audio = outputs[model.outputNames[0]].data as Float32Array;
  // An array the thread owns, so its buffer can be transferred to the caller without copying again.
  const length = audio.length + (task.silenceAfter ?? 0);
  let samples: Float32Array | Int16Array;
  if (task.output === 'pcm16') {
    samples = new Int16Array(length);
    floatToInt16(audio, samples);
  } else {
    samples = new Float32Array(length);
    samples.set(audio);
  }
  for (const tensor of Object.values(outputs)) tensor.dispose();
  return samples;
}

export default async function runInferenceTask(task: InferTask): Promise<unknown> {
  const samples = await infer(task);
  return Piscina.move(samples);
}
