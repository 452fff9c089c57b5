import { Global, Module } from '@nestjs/common';
import { ErrorEnvelopes } from './error-envelopes';
import { RequestFailureListeners } from './request-failures';

/** The registry each API face adds its error envelope to (in its module's onModuleInit), and who hears of failures. */
@Global()
@Module({ providers: [ErrorEnvelopes, RequestFailureListeners], exports: [ErrorEnvelopes, RequestFailureListeners] })
export class ErrorsModule {}
