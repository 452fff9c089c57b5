/** The part of sherpa-onnx-node (no typings of its own) the vits bench uses: offline VITS text-to-speech. */
declare module 'sherpa-onnx-node' {
  export interface OfflineTtsConfig {
    model: {
      vits: { model: string; tokens: string; dataDir?: string; noiseScale?: number; noiseScaleW?: number; lengthScale?: number };
      numThreads?: number;
      provider?: 'cpu';
      debug?: boolean;
    };
    /** Sentences synthesized per model run; 1 = sentence by sentence, each reported through onProgress. */
    maxNumSentences?: number;
    /** Factor applied to pauses longer than 0.2 s in the output (default 0.2). */
    silenceScale?: number;
  }

  export interface GeneratedAudio {
    samples: Float32Array;
    sampleRate: number;
  }

  export interface TtsRequest {
    text: string;
    sid?: number;
    speed?: number;
    /** Called from the event loop with each finished batch of sentences; return 0 or false to stop. */
    onProgress?: (info: { samples: Float32Array; progress: number }) => number | boolean | void;
  }

  export class OfflineTts {
    static createAsync(config: OfflineTtsConfig): Promise<OfflineTts>;
    readonly sampleRate: number;
    generateAsync(request: TtsRequest): Promise<GeneratedAudio>;
  }

  export const version: string;
}
