import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/app-config';
import { ElevenLabsModule } from './elevenlabs.module';

/** The ElevenLabs face's own document: Swagger UI at /elevenlabs/docs, JSON at /elevenlabs/docs-json. */
export function setupElevenLabsSwagger(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sauti: ElevenLabs-compatible API')
      .setDescription(
        "ElevenLabs' own paths, fields, statuses and error bodies under /elevenlabs, so the official ElevenLabs SDKs work with " +
          '`baseUrl: https://host/elevenlabs`. Voices are this service’s catalogue; models are its engines; the subscription is ' +
          'the tenant’s credits. Fields that change nothing here are named in the `x-ignored-fields` response header. ' +
          'Errors: `{"detail": {"status", "message"}}`, validation `{"detail": [{type, loc, msg, input}]}` (422).',
      )
      .setVersion('1.0')
      .addServer(`${config.http.publicBaseUrl.replace(/\/+$/, '')}/elevenlabs`)
      .addApiKey({ type: 'apiKey', in: 'header', name: 'xi-api-key', description: 'Your tenant API key.' }, 'xi-api-key')
      .build(),
    { include: [ElevenLabsModule] },
  );
  // Paths are documented relative to the server above, as ElevenLabs documents them.
  document.paths = Object.fromEntries(Object.entries(document.paths).map(([path, item]) => [path.replace(/^\/elevenlabs/, ''), item]));
  SwaggerModule.setup('elevenlabs/docs', app, document, { jsonDocumentUrl: 'elevenlabs/docs-json' });
}
