import { Injectable } from '@nestjs/common';
import type { ReadinessCheck } from './readiness-check';

@Injectable()
export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(check: ReadinessCheck): void {
    this.checks.set(check.key, check);
  }

  all(): ReadinessCheck[] {
    return [...this.checks.values()];
  }
}
