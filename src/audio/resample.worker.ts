/** Runs in a piscina worker thread so long resamples never hold the api's event loop. */
import Piscina from 'piscina';
import { resample } from './resample';

export interface ResampleTask {
  samples: Float32Array;
  fromRate: number;
  toRate: number;
}

export default function resampleTask(task: ResampleTask): unknown {
  const output = resample(task.samples, task.fromRate, task.toRate);
  return Piscina.move(output);
}
