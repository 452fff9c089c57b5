import { Injectable } from '@nestjs/common';
import { DefaultErrorEnvelope } from './default-error.envelope';
import type { ErrorEnvelope } from './error-envelope';

/** Registry of the faces' error envelopes; faces register theirs when their module starts. */
@Injectable()
export class ErrorEnvelopes {
  private readonly envelopes: ErrorEnvelope[] = [];
  private readonly fallback = new DefaultErrorEnvelope();

  register(envelope: ErrorEnvelope): void {
    this.envelopes.push(envelope);
  }

  forPath(path: string): ErrorEnvelope {
    return this.envelopes.find((envelope) => envelope.owns(path)) ?? this.fallback;
  }
}
