import { Injectable } from '@nestjs/common';
import { rescaleSampleIndex } from '../../audio/resample';
import { Resampler } from '../../audio/resampler';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { Deadline, isTimeoutReason } from '../../providers/http/deadline';
import { UpstreamError } from '../../providers/http/upstream-error';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { SynthesizedAudio, TtsProvider } from '../../providers/tts-provider';
import type { SynthesisRequest } from '../synthesis-request';
import type { BreakerPermit } from './circuit-breaker';
import { retryDelayMs, sleep } from './retry-delay';
import { ProviderStates } from './provider-states';
import { RouteResolver } from './route-resolver';
import { RoutingMetrics } from './routing.metrics';
import type { AttemptRecord, ResolvedRoute, RoutedAudio, RouteFieldNames, RouteTarget } from './routing.types';

type TargetResult = { audio: SynthesizedAudio; record: AttemptRecord } | { error: TtsError; record: AttemptRecord; failFast: boolean };

function asTtsError(error: unknown, provider: string): TtsError {
  if (error instanceof TtsError) return error;
  // A provider that throws something untyped has a bug; the client sees only that it failed.
  return new TtsError('provider_unavailable', `${provider} failed unexpectedly`, { details: { provider }, cause: error });
}

/**
 * Routes one synthesis request along its chain: the route's targets in order, then the request's
 * fallbacks. Transient failures are retried on the same target (backoff with jitter, Retry-After within
 * a bound); a request the upstream rejects fails at once with the upstream's message; a provider whose
 * breaker is open, or whose voice is not loaded, is skipped at once. Every answer is resampled to the
 * route's sample rate.
 */
@Injectable()
export class SynthesisRouter {
  constructor(
    private readonly resolver: RouteResolver,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly metrics: RoutingMetrics,
    private readonly config: AppConfig,
    private readonly resampler: Resampler,
  ) {}

  /** Validates what a request names and returns its targets; throws TtsError naming the face's own fields. */
  resolve(request: Pick<SynthesisRequest, 'route' | 'voice' | 'fallbacks'>, fields?: RouteFieldNames): ResolvedRoute {
    return this.resolver.resolve(request, fields);
  }

  async synthesize(request: SynthesisRequest, options: { requestId: string; signal?: AbortSignal }): Promise<RoutedAudio> {
    const route = this.resolve(request);
    // One signal per call even without a caller's: listeners are added and removed on it per attempt.
    const signal = options.signal ?? new AbortController().signal;
    const attempts: AttemptRecord[] = [];
    let retryAfterSeconds: number | undefined;
    for (const target of route.targets) {
      if (signal.aborted) throw this.cancelled(signal, attempts);
      const result = await this.tryTarget(target, request, route, { requestId: options.requestId, signal });
      attempts.push(result.record);
      if ('audio' in result) {
        return {
          audio: await this.toRouteRate(result.audio, route.sampleRate),
          provider: target.provider,
          voice: target.voice,
          ...(target.model ? { model: target.model } : {}),
          attempts,
        };
      }
      if (signal.aborted) throw this.cancelled(signal, attempts);
      if (result.failFast) throw withAttempts(result.error, attempts);
      // The soonest an upstream said it would take calls again is when the client may retry.
      const after = result.error.retryAfterSeconds;
      if (after !== undefined) retryAfterSeconds = Math.min(after, retryAfterSeconds ?? after);
    }
    throw new TtsError('all_providers_failed', `Every provider for '${route.key}' failed: ${attempts.map(describeAttempt).join(', ')}.`, {
      details: { attempts },
      retryAfterSeconds,
    });
  }

  private async tryTarget(
    target: RouteTarget,
    request: SynthesisRequest,
    route: ResolvedRoute,
    options: { requestId: string; signal: AbortSignal },
  ): Promise<TargetResult> {
    const started = performance.now();
    const record = (outcome: AttemptRecord['outcome'], retries: number, message?: string): AttemptRecord => ({
      provider: target.provider,
      voice: target.voice,
      ...(target.model ? { model: target.model } : {}),
      outcome,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      ...(message ? { message } : {}),
      retries,
    });
    const provider = this.registry.get(target.provider);
    const unavailable = provider ? this.skipReason(provider, target.voice, request.text) : 'provider is not configured';
    if (!provider || unavailable) {
      const error = new TtsError('provider_unavailable', `${target.provider}: ${unavailable}`, { details: { provider: target.provider } });
      return { error, record: record('provider_unavailable', 0, error.message), failFast: false };
    }
    const breaker = this.states.breaker(provider.id);
    const providerRequest = {
      text: request.text,
      voice: target.voice,
      ...(target.model ? { model: target.model } : {}),
      settings: request.settings,
      language: request.language ?? route.language,
      instructions: request.instructions,
    };
    let lastError: TtsError | undefined;
    for (let retries = 0; ; retries++) {
      const permit = breaker.tryAcquire();
      if (!permit) {
        const open = `circuit open, next probe in ${Math.ceil(breaker.retryInMs() / 1000)} s`;
        // A retry refused by a breaker that this target's own failures opened keeps their cause.
        if (lastError)
          return { error: lastError, record: record(lastError.code, retries - 1, `${lastError.message}; then ${open}`), failFast: false };
        const error = new TtsError('provider_unavailable', `${provider.id}: ${open}`, { details: { provider: provider.id } });
        return { error, record: record('provider_unavailable', retries, error.message), failFast: false };
      }
      const outcome = await this.call(provider, providerRequest, target, { ...options, permit });
      // After retries, the record keeps what was retried so a slow success can be explained.
      if ('audio' in outcome) return { audio: outcome.audio, record: record('ok', retries, lastError && `after ${lastError.message}`) };
      const error = outcome.error;
      lastError = error;
      if (options.signal.aborted) return { error, record: record(error.code, retries, error.message), failFast: false };
      if (error.code === 'provider_rejected') return { error, record: record(error.code, retries, error.message), failFast: true };
      const delay =
        retries < this.config.providers.retry.max_retries && this.retryable(provider, error)
          ? retryDelayMs(this.config.providers.retry, retries + 1, (error as UpstreamError).retryAfterMs)
          : undefined;
      if (delay === undefined) return { error, record: record(error.code, retries, error.message), failFast: false };
      try {
        await sleep(delay, options.signal);
      } catch {
        return { error, record: record(error.code, retries, error.message), failFast: false };
      }
    }
  }

  /** One call to one provider, with the target's timeout; feeds the breaker, the health state and the metrics. */
  private async call(
    provider: TtsProvider,
    request: Parameters<TtsProvider['synthesize']>[0],
    target: RouteTarget,
    options: { requestId: string; signal: AbortSignal; permit: BreakerPermit },
  ): Promise<{ audio: SynthesizedAudio } | { error: TtsError }> {
    const breaker = this.states.breaker(provider.id);
    const started = performance.now();
    const deadline = new Deadline(options.signal, target.timeoutMs);
    try {
      const audio = await provider.synthesize(request, {
        signal: deadline.signal,
        timeoutMs: target.timeoutMs,
        requestId: options.requestId,
      });
      if (!(audio.sampleRate > 0) || audio.samples.length === 0)
        throw new TtsError('provider_unavailable', `${provider.id} returned no audio`, { details: { provider: provider.id } });
      const seconds = (performance.now() - started) / 1000;
      breaker.recordSuccess(options.permit);
      this.states.recordSuccess(provider.id, request.voice, seconds * 1000, audio.sampleRate);
      this.metrics.call(provider.id, 'ok', seconds);
      if (ProviderRegistry.isLocal(provider)) this.metrics.rtf(provider.id, seconds, audio.samples.length / audio.sampleRate);
      return { audio };
    } catch (thrown) {
      const error = asTtsError(thrown, provider.id);
      const milliseconds = performance.now() - started;
      this.metrics.call(provider.id, error.code, milliseconds / 1000);
      if (options.signal.aborted) breaker.release(options.permit);
      else if (error.code === 'provider_rejected')
        breaker.recordSuccess(options.permit); // the upstream is healthy: it judged the request
      else breaker.recordFailure(options.permit);
      this.states.recordFailure(provider.id, error.code, error.message, milliseconds);
      return { error };
    } finally {
      deadline.dispose();
    }
  }

  /** Why a target is skipped without a call: no key, voice files missing, or text beyond its limit. */
  private skipReason(provider: TtsProvider, voice: string, text: string): string | undefined {
    const limit = provider.capabilities().maxTextLength;
    return (
      this.registry.voiceUnavailableReason(provider, voice) ??
      (text.length > limit ? `text of ${text.length} characters exceeds its limit of ${limit}` : undefined)
    );
  }

  /** Only what can succeed when repeated: local engines and permanent upstream failures are not retried. */
  private retryable(provider: TtsProvider, error: TtsError): boolean {
    if (ProviderRegistry.isLocal(provider)) return false;
    if (error instanceof UpstreamError) return error.retryable;
    return error.code === 'provider_timeout';
  }

  private async toRouteRate(audio: SynthesizedAudio, sampleRate: number): Promise<SynthesizedAudio> {
    if (audio.sampleRate === sampleRate) return audio;
    return {
      samples: await this.resampler.resample(audio.samples, audio.sampleRate, sampleRate),
      sampleRate,
      ...(audio.segments
        ? {
            segments: audio.segments.map((segment) => ({
              text: segment.text,
              startSample: rescaleSampleIndex(segment.startSample, audio.sampleRate, sampleRate),
              endSample: rescaleSampleIndex(segment.endSample, audio.sampleRate, sampleRate),
            })),
          }
        : {}),
    };
  }

  private cancelled(signal: AbortSignal, attempts: AttemptRecord[]): TtsError {
    return isTimeoutReason(signal.reason)
      ? new TtsError('provider_timeout', 'Synthesis did not finish within the time allowed.', { details: { attempts } })
      : new TtsError('service_unavailable', 'Synthesis was cancelled.', { details: { attempts } });
  }
}

/** `primary provider_timeout (912 ms, 2 retries)`: what a client sees of one failed target. */
function describeAttempt(attempt: AttemptRecord): string {
  const retries = attempt.retries === 0 ? '' : `, ${attempt.retries} ${attempt.retries === 1 ? 'retry' : 'retries'}`;
  return `${attempt.provider} ${attempt.outcome} (${Math.round(attempt.durationMs)} ms${retries})`;
}

/** The provider's own error, with the attempts so far added to its details. */
function withAttempts(error: TtsError, attempts: AttemptRecord[]): TtsError {
  return new TtsError(error.code, error.message, {
    field: error.field,
    upstreamStatus: error.upstreamStatus,
    retryAfterSeconds: error.retryAfterSeconds,
    details: { ...error.details, attempts },
    cause: error,
  });
}
