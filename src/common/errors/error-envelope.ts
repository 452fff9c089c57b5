import type { ServiceRequest } from '../request-context';
import type { TtsError } from '../tts-error';

export interface RenderedError {
  status: number;
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One API face's way of writing errors. The global filter picks the face by request path,
 * so validation failures, unknown routes and unexpected exceptions all come out in that face's shape.
 */
export interface ErrorEnvelope {
  readonly face: string;
  /** Whether requests on this path belong to the face. */
  owns(path: string): boolean;
  render(error: TtsError, request: ServiceRequest): RenderedError;
}
