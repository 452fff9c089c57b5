import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../../config/app-config';
import { SautiModule } from './sauti.module';

/** Swagger UI at /docs and the OpenAPI JSON at /docs-json, generated from the Sauti DTOs and decorators. */
export function setupSautiSwagger(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sauti TTS API')
      .setDescription(
        'Swahili text-to-speech. Short texts (≤ 2,000 characters) are answered inline as base64 WAV; longer ones ' +
          '(≤ 5,000) become async jobs. Characters are Unicode code points after NFC normalisation. ' +
          'Every error is an RFC 7807 problem (application/problem+json).',
      )
      .setVersion('1.0')
      .addServer(config.http.publicBaseUrl)
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'xi-api-key', description: 'Your API key (Authorization: Bearer <key> is accepted too).' },
        'xi-api-key',
      )
      .build(),
    { include: [SautiModule] },
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
