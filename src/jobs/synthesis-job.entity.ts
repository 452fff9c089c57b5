import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from '../database/bigint.transformer';
import type { CacheStatus } from '../synthesis/cache/audio-cache.types';
import type { AttemptRecord } from '../synthesis/speech.types';
import type { FaceName, SynthesisRequest } from '../synthesis/synthesis-request';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired';

/** The job's source of truth (and its outbox: the row is written before the BullMQ job exists). */
@Entity({ name: 'synthesis_jobs' })
export class SynthesisJobEntity {
  /** Public id (`job_…`), also the BullMQ job id, so enqueueing twice is harmless. */
  @PrimaryColumn({ type: 'varchar', length: 40 })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 16 })
  face!: FaceName;

  @Column({ type: 'varchar', length: 16 })
  status!: JobStatus;

  @Column({ type: 'jsonb' })
  request!: SynthesisRequest;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey!: string | null;

  /** The API key that created the job (usage attribution, its budget); null for jobs made before keys were recorded. */
  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId!: string | null;

  @Column({ type: 'varchar', length: 100, nullable: true })
  provider!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  /** Times a worker started it (more than one after a crash or a transient failure). */
  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'routing_attempts', type: 'jsonb', nullable: true })
  routingAttempts!: AttemptRecord[] | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode!: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'integer' })
  characters!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  credits!: number;

  /** Whether a succeeded job's audio came from the audio cache (null before it ran, and for jobs older than the cache). */
  @Column({ name: 'cache_status', type: 'varchar', length: 8, nullable: true })
  cacheStatus!: CacheStatus | null;

  /** What a succeeded job was charged: its reservation, or the cache hit price (null until it succeeded). */
  @Column({ name: 'credits_charged', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  creditsCharged!: number | null;

  @Column({ name: 'result_ttl_seconds', type: 'integer' })
  resultTtlSeconds!: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;
}
