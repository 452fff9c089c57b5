import { Injectable } from '@nestjs/common';
import { UndecodableAudioError } from '../../audio/audio-pipeline';
import type { AudioDescriptor, AudioStream, OutputSpec } from '../../audio/audio-stream';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { Deadline, isTimeoutReason } from '../../providers/http/deadline';
import { UpstreamError } from '../../providers/http/upstream-error';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { ProviderRequest, TtsProvider } from '../../providers/tts-provider';
import type { SynthesisRequest } from '../synthesis-request';
import { BreakerPermit, CLOSED_CALL } from './circuit-breaker';
import { retryDelayMs, sleep } from './retry-delay';
import { ProviderStates } from './provider-states';
import { RouteResolver } from './route-resolver';
import { RoutingMetrics } from './routing.metrics';
import type { AttemptRecord } from '../speech.types';
import type { ResolvedRoute, RoutedStream, RouteFieldNames, RouteTarget } from './routing.types';

type TargetResult<T> = { audio: T; record: AttemptRecord } | { error: TtsError; record: AttemptRecord; failFast: boolean };

/**
 * What a routed call needs besides the request: who asks, what the client will get, when to give up,
 * and how a provider's audio becomes the client's (the pipeline). A target has served once the
 * converted stream's first bytes exist, so a provider whose answer cannot be converted (an unreadable
 * file, say) is one that failed, and the next target is tried.
 */
export interface RouteCallOptions<T extends AudioStream> {
  requestId: string;
  signal: AbortSignal;
  output: OutputSpec;
  convert: (audio: AudioStream, signal: AbortSignal) => T;
}

function asTtsError(error: unknown, provider: string): TtsError {
  if (error instanceof TtsError) return error;
  if (error instanceof UndecodableAudioError) {
    const fix = error.reason === 'no_decoder' ? '. Set FFMPEG_PATH, or configure the provider to answer wav or pcm.' : '';
    return new TtsError('provider_unavailable', `${provider} sent audio that cannot be read: ${error.message}${fix}`, {
      details: { provider },
      cause: error,
    });
  }
  // A provider that throws something untyped has a bug; the client sees only that it failed.
  return new TtsError('provider_unavailable', `${provider} failed unexpectedly`, { details: { provider }, cause: error });
}

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
  constructor(
    private readonly resolver: RouteResolver,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly metrics: RoutingMetrics,
    private readonly config: AppConfig,
  ) {}

  /** Validates what a request names and returns its targets; throws TtsError naming the face's own fields. */
  resolve(request: Pick<SynthesisRequest, 'route' | 'voice' | 'fallbacks'>, fields?: RouteFieldNames): ResolvedRoute {
    return this.resolver.resolve(request, fields);
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
    const providerRequest: ProviderRequest = {
      text: request.text,
      voice: target.voice,
      ...(target.model ? { model: target.model } : {}),
      settings: request.settings,
      language: request.language ?? route.language,
      instructions: request.instructions,
      output: options.output,
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

  /**
   * One call to one provider, with the target's timeout, until its first audio bytes: feeds the
   * breaker, the health state and the metrics. The timeout keeps running while the stream flows.
   */
  private async call<T extends AudioStream>(
    provider: TtsProvider,
    request: ProviderRequest,
    target: RouteTarget,
    options: RouteCallOptions<T> & { permit: BreakerPermit },
  ): Promise<{ audio: T } | { error: TtsError }> {
    const breaker = this.states.breaker(provider.id);
    const started = performance.now();
    const deadline = new Deadline(options.signal, target.timeoutMs);
    let streaming = false;
    try {
      const own = await untilAborted(
        provider.synthesize(request, { signal: deadline.signal, timeoutMs: target.timeoutMs, requestId: options.requestId }),
        deadline.signal,
      );
      const audio = options.convert(own, deadline.signal);
      const chunks = audio.chunks[Symbol.asyncIterator]();
      let first = await untilAborted(chunks.next(), deadline.signal);
      while (!first.done && first.value.length === 0) first = await untilAborted(chunks.next(), deadline.signal);
      if (first.done)
        throw new TtsError('provider_unavailable', `${provider.id} returned no audio`, { details: { provider: provider.id } });
      const milliseconds = performance.now() - started;
      breaker.recordSuccess(options.permit);
      this.states.recordSuccess(provider.id, request.voice, milliseconds, own.descriptor.sampleRate);
      this.metrics.firstAudioAfter(provider.id, milliseconds / 1000);
      streaming = true;
      const flowing = this.flowing(provider, own.descriptor, first.value, chunks, { deadline, started });
      return { audio: { ...audio, chunks: flowing } };
    } catch (thrown) {
      const error = this.failure(thrown, provider, deadline);
      const milliseconds = performance.now() - started;
      this.metrics.failedCall(provider.id, error.code, milliseconds / 1000);
      if (options.signal.aborted) breaker.release(options.permit);
      else if (error.code === 'provider_rejected')
        breaker.recordSuccess(options.permit); // the upstream is healthy: it judged the request
      else breaker.recordFailure(options.permit);
      this.states.recordFailure(provider.id, error.code, error.message, milliseconds);
      return { error };
    } finally {
      if (!streaming) deadline.dispose();
    }
  }

  /**
   * The rest of a started stream. A failure after the first bytes counts against the provider
   * (breaker, health, metrics) unless the caller stopped it; the deadline lives until the stream ends.
   */
  private async *flowing(
    provider: TtsProvider,
    descriptor: AudioDescriptor,
    first: Buffer,
    chunks: AsyncIterator<Buffer>,
    call: { deadline: Deadline; started: number },
  ): AsyncGenerator<Buffer> {
    let bytes = first.length;
    let ended = false;
    try {
      yield first;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
        bytes += next.value.length;
        yield next.value;
      }
      ended = true;
      const seconds = (performance.now() - call.started) / 1000;
      this.metrics.streamEnded(provider.id, seconds);
      if (ProviderRegistry.isLocal(provider) && descriptor.format === 'pcm') {
        this.metrics.rtf(provider.id, seconds, bytes / (2 * descriptor.channels * descriptor.sampleRate));
      }
    } catch (thrown) {
      ended = true;
      const error = this.failure(thrown, provider, call.deadline);
      const callerLeft = call.deadline.signal.aborted && !call.deadline.timedOut && !isTimeoutReason(call.deadline.signal.reason);
      if (!callerLeft) {
        const milliseconds = performance.now() - call.started;
        this.metrics.streamEnded(provider.id, milliseconds / 1000, error.code);
        this.states.breaker(provider.id).recordFailure(CLOSED_CALL);
        this.states.recordFailure(provider.id, error.code, `after the first audio: ${error.message}`, milliseconds);
      }
      throw error;
    } finally {
      call.deadline.dispose();
      if (!ended) await chunks.return?.();
    }
  }

  /** What a thrown value means: the provider's TtsError, or the deadline's own timeout when it fired. */
  private failure(thrown: unknown, provider: TtsProvider, deadline: Deadline): TtsError {
    if (deadline.timedOut && !(thrown instanceof TtsError && thrown.code === 'provider_timeout')) {
      return new TtsError('provider_timeout', `${provider.id} did not finish within ${deadline.timeoutMs} ms`, {
        details: { provider: provider.id },
        cause: thrown,
      });
    }
    return asTtsError(thrown, provider.id);
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

/** Settles with `work`, or rejects with the signal's reason once it aborts: no provider can hold a call past its deadline. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
