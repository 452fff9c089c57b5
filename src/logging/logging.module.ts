import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { RootLogger } from './root-logger';

/** Holds the one RootLogger, so nestjs-pino's module and the rest of the application share it. */
@Module({ providers: [RootLogger], exports: [RootLogger] })
class RootLoggerModule {}

/**
 * RootLogger for the code base, and nestjs-pino for Nest: its `Logger` is what each entry point hands
 * to `app.useLogger` (framework lines as JSON through the same root logger, with the request's
 * `requestId` inside a request). Its middleware is off (`forRoutes: []`): `accessLogger` (api-app.ts)
 * does its job earlier in the chain, with one pino-http instance instead of two.
 */
@Global()
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [RootLogger],
      useFactory: (logger: RootLogger) => ({ pinoHttp: { logger: logger.root }, forRoutes: [] }),
    }),
  ],
  exports: [RootLoggerModule, LoggerModule],
})
export class LoggingModule {}
