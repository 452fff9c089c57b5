import { Module } from '@nestjs/common';
import { VitsProvider } from './vits.provider';

/**
 * The built-in VITS engine. Imported by the providers registry, which adds VitsProvider to
 * TTS_PROVIDERS; AppConfig and HealthRegistry come from the global core modules.
 */
@Module({ providers: [VitsProvider], exports: [VitsProvider] })
export class VitsModule {}
