import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/app-config';
import { AdminModule } from './admin.module';
import { ADMIN_SESSION_COOKIE } from './auth/admin-request';

/** The admin API's own document: Swagger UI at /admin/docs, JSON at /admin/docs-json. */
export function setupAdminSwagger(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sauti admin API')
      .setDescription(
        'What the ops dashboard (/dashboard) shows and does, for scripts too. Off until ADMIN_TOKEN, ADMIN_TOKEN_SHA256 or an ' +
          'admin key exists (404 until then). Scripts send `Authorization: Bearer <admin token or admin key>`; the dashboard ' +
          'signs in with POST /admin/v1/session and sends the session’s CSRF token in `x-csrf-token` with every change. ' +
          'Errors: `{error: {code, message, field?, details?, request_id}}`. Tenant API keys never work here.',
      )
      .setVersion('1.0')
      .addServer(config.http.publicBaseUrl)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, or an admin key (`admin-keys create`).' }, 'admin-token')
      .addCookieAuth(ADMIN_SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: ADMIN_SESSION_COOKIE })
      .build(),
    { include: [AdminModule] },
  );
  SwaggerModule.setup('admin/docs', app, document, { jsonDocumentUrl: 'admin/docs-json' });
}
