import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { requestLoggerOptions } from './access-log';
import { RootLogger } from './root-logger';

/** Holds the one RootLogger, so nestjs-pino's module and the rest of the application share it. */
@Module({ providers: [RootLogger], exports: [RootLogger] })
class RootLoggerModule {}

/**
 * RootLogger for the code base, and nestjs-pino for Nest: its `Logger` is what each entry point hands
 * to `app.useLogger` (framework lines as JSON, through the same root), and its middleware keeps each
 * Nest-routed request's child logger in AsyncLocalStorage, where `RootLogger.pino` finds it. Its own
 * automatic request line is off: `accessLogger` writes that one, earlier in the chain (see api-app.ts).
 */
@Global()
@Module({
  imports: [
    RootLoggerModule,
    LoggerModule.forRootAsync({
      imports: [RootLoggerModule],
      inject: [RootLogger],
      useFactory: (logger: RootLogger) => ({ pinoHttp: { ...requestLoggerOptions(logger.root), autoLogging: false } }),
    }),
  ],
  exports: [RootLoggerModule, LoggerModule],
})
export class LoggingModule {}
