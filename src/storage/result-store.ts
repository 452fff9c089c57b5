import type { InjectionToken } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { AudioFormat } from '../synthesis/synthesis-request';

export interface StoredResult {
  audio: Buffer;
  contentType: string;
  format: AudioFormat;
  durationSeconds: number;
  sampleRate: number;
  /** Sentence spans in seconds, kept when the request asked for timestamps. */
  segments?: Array<{ text: string; startSeconds: number; endSeconds: number }>;
}

/**
 * Where finished jobs' audio lives until it expires. `save` is an upsert, so a job that runs twice
 * (after a crash) still has exactly one result. `manager` joins the caller's transaction when the
 * store is in the same database.
 */
export interface ResultStore {
  save(jobId: string, result: StoredResult, manager?: EntityManager): Promise<void>;
  load(jobId: string): Promise<StoredResult | undefined>;
  /** Deletes the results of these jobs; returns how many existed. */
  delete(jobIds: string[], manager?: EntityManager): Promise<number>;
}

export const RESULT_STORE: InjectionToken = Symbol('RESULT_STORE');
