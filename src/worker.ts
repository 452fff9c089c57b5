import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppConfig } from './config/app-config';
import { RootLogger } from './logging/root-logger';
import { closeOnSignals, startOrExplain } from './process-start';
import { WorkerModule } from './worker.module';

void startOrExplain('worker', async () => {
  RootLogger.processName = 'worker';
  const config = AppConfig.load();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(Logger));
  await app.init();
  closeOnSignals(app);
  return 'worker started';
});
