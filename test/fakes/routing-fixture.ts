import { DynamicModule, Global, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { AudioPipeline } from '../../src/audio/audio-pipeline';
import type { OutputSpec } from '../../src/audio/audio-stream';
import { AppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { loadEnvironment } from '../../src/config/environment';
import { HealthRegistry } from '../../src/health/health-registry';
import { MetricsModule } from '../../src/metrics/metrics.module';
import { MetricsRegistry } from '../../src/metrics/metrics.registry';
import { RoutingModule } from '../../src/synthesis/routing/routing.module';
import type { RoutedStream } from '../../src/synthesis/routing/routing.types';
import { SynthesisRouter } from '../../src/synthesis/routing/synthesis.router';
import type { SynthesisRequest } from '../../src/synthesis/synthesis-request';
import { VoiceCatalog } from '../../src/synthesis/routing/voice-catalog';

/** The repository's config/ directory, from the TypeScript sources or from their compiled copy in dist/. */
export const DEFAULT_CONFIG_DIR =
  [resolve(__dirname, '../../config'), resolve(__dirname, '../../../config')].find((dir) => existsSync(join(dir, 'pricing.yaml'))) ??
  resolve('config');

/**
 * A temporary CONFIG_DIR: copies of every YAML file in config/, with the given files replaced
 * (objects are written as YAML). Returns the directory.
 */
/** rate-limits.yaml for benches: no limit a measurement could reach. */
export const UNLIMITED_RATE_LIMITS = {
  defaults: {
    requests_per_minute: 10_000_000,
    job_creates_per_minute: 10_000_000,
    job_polls_per_minute: 10_000_000,
    max_active_jobs: 1000,
  },
};

export function writeConfigDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sauti-config-'));
  for (const name of readdirSync(DEFAULT_CONFIG_DIR))
    if (name.endsWith('.yaml')) copyFileSync(join(DEFAULT_CONFIG_DIR, name), join(dir, name));
  for (const [name, content] of Object.entries(files))
    writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content));
  return dir;
}

/** AppConfig over `configDir`, the test environment and `secrets` (upstream key variables). */
export function configFor(configDir: string, secrets: Record<string, string> = {}): AppConfig {
  const source = { ...process.env, CONFIG_DIR: configDir, ...secrets };
  return new AppConfig(loadEnvironment(source), source);
}

@Global()
@Module({ providers: [HealthRegistry], exports: [HealthRegistry] })
class StandaloneHealthModule {}

@Module({})
class RoutingContextModule {
  static forRoot(config: AppConfig): DynamicModule {
    return { module: RoutingContextModule, imports: [ConfigModule.forRoot(config), StandaloneHealthModule, MetricsModule, RoutingModule] };
  }
}

export interface RoutingContext {
  app: INestApplicationContext;
  config: AppConfig;
  router: SynthesisRouter;
  catalog: VoiceCatalog;
  health: HealthRegistry;
  metrics: MetricsRegistry;
  close(): Promise<void>;
}

/** The routing module alone (no database, no Redis, no HTTP), as the api and the worker build it. */
export async function startRoutingContext(config: AppConfig): Promise<RoutingContext> {
  const app = await NestFactory.createApplicationContext(RoutingContextModule.forRoot(config), { logger: false, abortOnError: false });
  await app.init();
  return {
    app,
    config,
    router: app.get(SynthesisRouter),
    catalog: app.get(VoiceCatalog),
    health: app.get(HealthRegistry),
    metrics: app.get(MetricsRegistry),
    close: () => app.close(),
  };
}

/** What a route's audio sounds like: every sample, at the route's rate, and who served it. */
export interface RoutedSamples {
  audio: { samples: Float32Array; sampleRate: number };
  provider: string;
  voice: string;
  model?: string;
  attempts: RoutedStream['attempts'];
}

/**
 * Opens `request`'s route and reads its audio whole, as mono samples at the route's rate: what a face
 * gets after the pipeline, for tests that look at the sound rather than the bytes.
 */
export async function routedSamples(
  context: Pick<RoutingContext, 'router' | 'app'>,
  request: SynthesisRequest,
  options: { requestId: string; signal?: AbortSignal; output?: OutputSpec },
): Promise<RoutedSamples> {
  const route = context.router.resolve(request);
  const pipeline = context.app.get(AudioPipeline);
  const output: OutputSpec = options.output ?? { format: 'pcm', sampleRate: route.sampleRate };
  const routed = await context.router.open(route, request, {
    requestId: options.requestId,
    signal: options.signal ?? new AbortController().signal,
    output,
    convert: (audio, signal) => pipeline.convert(audio, output, signal),
  });
  const parts: Float32Array[] = [];
  for await (const samples of pipeline.samples(routed.audio, route.sampleRate)) parts.push(samples);
  const samples = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    samples.set(part, at);
    at += part.length;
  }
  const { audio: _stream, ...served } = routed;
  return { ...served, audio: { samples, sampleRate: route.sampleRate } };
}
