import { Global, Module } from '@nestjs/common';
import { ErrorEnvelopes } from './error-envelopes';

/** The registry each API face adds its error envelope to (in its module's onModuleInit). */
@Global()
@Module({ providers: [ErrorEnvelopes], exports: [ErrorEnvelopes] })
export class ErrorsModule {}
