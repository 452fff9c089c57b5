import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppConfig } from './config/app-config';
import { RootLogger } from './logging/root-logger';
import { startOrExplain } from './process-start';
import { WorkerModule } from './worker.module';

void startOrExplain('worker', async () => {
  RootLogger.processName = 'worker';
  const config = AppConfig.load();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(RootLogger));
  app.enableShutdownHooks();
  await app.init();
  return 'worker started';
});
