import { Global, Module } from '@nestjs/common';
import { RootLogger } from './root-logger';

@Global()
@Module({ providers: [RootLogger], exports: [RootLogger] })
export class LoggingModule {}
