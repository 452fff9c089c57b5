import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { RootLogger } from '../../logging/root-logger';
import type { ServiceRequest } from '../request-context';
import { ErrorEnvelopes } from './error-envelopes';
import { writeError } from './error-writer';
import type { RequestFailureListeners } from './request-failures';

/** Last resort for every HTTP failure: the owning face's envelope, a request id, never internals. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly envelopes: ErrorEnvelopes,
    private readonly logger: RootLogger,
    private readonly failures?: RequestFailureListeners,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    writeError(exception, http.getRequest<ServiceRequest>(), http.getResponse<Response>(), this.envelopes, this.logger.pino, this.failures);
  }
}
