import type { InferenceSession } from 'onnxruntime-node';

/**
 * Session options for VITS on a small CPU box (2 cores): a few intra-op threads per worker, sequential
 * execution (the graph is a chain; parallel execution only adds scheduling), full graph optimisation,
 * the CPU arena on, the memory pattern off (every sentence has a different input length, so a pattern
 * planned for one never fits the next), and no spinning threads (they would burn the cores the other
 * workers and the event loop need).
 */
export function vitsSessionOptions(intraOpThreads: number): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: true,
    enableMemPattern: false,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}
