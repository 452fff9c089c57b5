import 'reflect-metadata';
import { createApiApp } from './api-app';
import { AppConfig } from './config/app-config';
import { closeOnSignals, startOrExplain } from './process-start';

void startOrExplain('api', async () => {
  const config = AppConfig.load();
  const app = await createApiApp(config);
  await app.listen(config.http.port, config.http.host);
  closeOnSignals(app);
  return `api listening on http://${config.http.host}:${config.http.port}`;
});
