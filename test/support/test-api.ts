import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../../src/api-app';
import { AppConfig } from '../../src/config/app-config';
import { TenantsService } from '../../src/tenants/tenants.service';

export interface TestApi {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  /** A new tenant with `credits` and its plaintext API key. */
  createTenant(credits?: number, name?: string): Promise<{ tenantId: string; apiKey: string }>;
  close(): Promise<void>;
}

/** The real api application on a random loopback port, configured from the test environment plus `overrides`. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const config = AppConfig.load({ ...process.env, ...overrides });
  const app = await createApiApp(config);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    config,
    baseUrl: `http://127.0.0.1:${port}`,
    async createTenant(credits = 1000, name = 'test tenant') {
      const { tenant, apiKey } = await app.get(TenantsService).create(name, credits);
      return { tenantId: tenant.id, apiKey: apiKey.plaintext };
    },
    close: () => app.close(),
  };
}
