import { Injectable } from '@nestjs/common';
import type { AudioStream } from '../../audio/audio-stream';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { isTimeoutReason } from '../../providers/http/deadline';
import { UpstreamError } from '../../providers/http/upstream-error';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { AudioIdentity, ProviderRequest, TtsProvider } from '../../providers/tts-provider';
import type { OutputSpec } from '../../audio/audio-stream';
import type { SynthesisRequest } from '../synthesis-request';
import { isOurs, ProviderCaller, RouteCallOptions } from './provider-call';
import { retryDelayMs, sleep } from './retry-delay';
import { ProviderStates } from './provider-states';
import { RouteResolver } from './route-resolver';
import { RoutingMetrics } from './routing.metrics';
import type { AttemptRecord } from '../speech.types';
import type { ResolvedRoute, RoutedStream, RouteFieldNames, RouteTarget } from './routing.types';

type TargetResult<T> = { audio: T; record: AttemptRecord } | { error: TtsError; record: AttemptRecord; failFast: boolean };

/**
 * Routes one synthesis request along its chain: the route's targets in order, then the request's
 * fallbacks. Transient failures are retried on the same target (backoff with jitter, Retry-After within
 * a bound); a request the upstream rejects fails at once with the upstream's message; a provider whose
 * breaker is open, or whose voice is not loaded, is skipped at once. A target has served once its
 * first audio bytes are in: from then on its stream is the answer, and a failure later in the stream
 * is the stream's failure (there is no switching providers halfway through a sentence).
 */
@Injectable()
export class SynthesisRouter {
  private readonly caller: ProviderCaller;

  constructor(
    private readonly resolver: RouteResolver,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly metrics: RoutingMetrics,
    private readonly config: AppConfig,
  ) {
    this.caller = new ProviderCaller(states, metrics);
  }

  /** Validates what a request names and returns its targets; throws TtsError naming the face's own fields. */
  resolve(request: Pick<SynthesisRequest, 'route' | 'voice' | 'fallbacks'>, fields?: RouteFieldNames): ResolvedRoute {
    return this.resolver.resolve(request, fields);
  }

  /**
   * The target `open` would call first now: the first whose provider is configured, has the voice
   * loaded, takes the text's length and whose breaker lets calls through. No call is made.
   */
  firstServable(route: ResolvedRoute, request: SynthesisRequest): RouteTarget | undefined {
    return route.targets.find((target) => {
      const provider = this.registry.get(target.provider);
      return provider && !this.skipReason(provider, target.voice, request.text) && this.states.breaker(provider.id).acceptsCalls;
    });
  }

  /** What `target`'s provider says its audio for `request` depends on (the audio cache's key). */
  audioIdentity(route: ResolvedRoute, request: SynthesisRequest, target: RouteTarget, output: OutputSpec): AudioIdentity | undefined {
    return this.registry.get(target.provider)?.audioIdentity(providerRequestFor(target, request, route, output));
  }

  /** Opens the first target of `route` that starts speaking; the stream is that provider's own audio. */
  async open<T extends AudioStream>(
    route: ResolvedRoute,
    request: SynthesisRequest,
    options: RouteCallOptions<T>,
  ): Promise<RoutedStream<T>> {
    const { signal } = options;
    const attempts: AttemptRecord[] = [];
    let retryAfterSeconds: number | undefined;
    for (const target of route.targets) {
      if (signal.aborted) throw this.cancelled(signal, attempts);
      const result = await this.tryTarget(target, request, route, options);
      attempts.push(result.record);
      if ('audio' in result) {
        return {
          audio: result.audio,
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

  private async tryTarget<T extends AudioStream>(
    target: RouteTarget,
    request: SynthesisRequest,
    route: ResolvedRoute,
    options: RouteCallOptions<T>,
  ): Promise<TargetResult<T>> {
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
    const providerRequest = providerRequestFor(target, request, route, options.output);
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
      const outcome = await this.caller.call(provider, providerRequest, target, { ...options, permit });
      // After retries, the record keeps what was retried so a slow success can be explained.
      if ('audio' in outcome) return { audio: outcome.audio, record: record('ok', retries, lastError && `after ${lastError.message}`) };
      const error = outcome.error;
      lastError = error;
      if (options.signal.aborted) return { error, record: record(error.code, retries, error.message), failFast: false };
      // The upstream judged the request, or our own step failed (the next provider would fare no better).
      if (error.code === 'provider_rejected' || isOurs(error))
        return { error, record: record(error.code, retries, error.message), failFast: true };
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

  private cancelled(signal: AbortSignal, attempts: AttemptRecord[]): TtsError {
    return isTimeoutReason(signal.reason)
      ? new TtsError('provider_timeout', 'Synthesis did not finish within the time allowed.', { details: { attempts } })
      : new TtsError('service_unavailable', 'Synthesis was cancelled.', { details: { attempts } });
  }
}

/** One target's view of a request. */
function providerRequestFor(target: RouteTarget, request: SynthesisRequest, route: ResolvedRoute, output: OutputSpec): ProviderRequest {
  return {
    text: request.text,
    voice: target.voice,
    ...(target.model ? { model: target.model } : {}),
    settings: request.settings,
    language: request.language ?? route.language,
    instructions: request.instructions,
    output,
  };
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
