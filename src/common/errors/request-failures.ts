import { Injectable } from '@nestjs/common';

/** A request that failed on the server's side or at its providers, as the client was told. */
export interface RequestFailure {
  requestId: string;
  at: string;
  method: string;
  path: string;
  /** The face whose envelope rendered the error (`default` for paths no face owns). */
  face: string;
  status: number;
  code: string;
  message: string;
  tenantId?: string;
  tenantName?: string;
  /** Each provider target tried, when the failure came out of routing. */
  attempts?: unknown[];
}

type Listener = (failure: RequestFailure) => void;

/**
 * Told about every request that ends in a 5xx or after its providers failed, whatever the face. The
 * error writer calls it; the admin module keeps the recent ones for the dashboard. Listeners must not
 * throw or wait: the client's answer does not wait for them.
 */
@Injectable()
export class RequestFailureListeners {
  private readonly listeners: Listener[] = [];

  add(listener: Listener): void {
    this.listeners.push(listener);
  }

  notify(failure: RequestFailure): void {
    for (const listener of this.listeners) {
      try {
        listener(failure);
      } catch {
        // A listener's trouble is never the client's.
      }
    }
  }
}

/** Worth an operator's look: the server failed (5xx), or the providers did (the error carries the attempts). */
export function isOperatorFailure(status: number, details: Record<string, unknown> | undefined): boolean {
  return status >= 500 || Array.isArray(details?.attempts);
}
