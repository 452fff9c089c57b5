export type ReadinessStatus = 'up' | 'degraded' | 'down';

export interface ReadinessReport {
  status: ReadinessStatus;
  [detail: string]: unknown;
}

/**
 * One dependency `/health/ready` reports on. Modules register theirs with HealthRegistry:
 * the database and Redis here; voices, providers and queues in later modules.
 */
export interface ReadinessCheck {
  readonly key: string;
  /** When a critical check is down the service is not ready (503); a non-critical one only reports. */
  readonly critical: boolean;
  check(): Promise<ReadinessReport>;
}
