import { UndecodableAudioError } from '../../audio/audio-pipeline';
import type { AudioStream, OutputSpec } from '../../audio/audio-stream';
import { untilAborted } from '../../common/until-aborted';
import { TtsError } from '../../common/tts-error';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { ProviderRequest, TtsProvider } from '../../providers/tts-provider';
import { BreakerPermit, CLOSED_CALL } from './circuit-breaker';
import { CallTimer } from './call-timer';
import { ProviderStates } from './provider-states';
import { RoutingMetrics } from './routing.metrics';
import type { RouteTarget } from './routing.types';

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

export type CallOutcome<T> = { audio: T } | { error: TtsError };

export function asTtsError(error: unknown, provider: string): TtsError {
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
 * One call to one provider: until its first audio bytes, then the rest of its stream. Feeds the
 * breaker, the health state and the metrics. The target's timeout covers only time spent waiting on
 * the provider (for the first audio, then for each next chunk), never a slow client's back-pressure.
 * A call that fails or whose stream is abandoned is stopped: its signal aborts, so the provider's
 * work (an upstream connection, inference, ffmpeg) ends with it.
 */
export class ProviderCaller {
  constructor(
    private readonly states: ProviderStates,
    private readonly metrics: RoutingMetrics,
  ) {}

  async call<T extends AudioStream>(
    provider: TtsProvider,
    request: ProviderRequest,
    target: RouteTarget,
    options: RouteCallOptions<T> & { permit: BreakerPermit },
  ): Promise<CallOutcome<T>> {
    const breaker = this.states.breaker(provider.id);
    const started = performance.now();
    const timer = new CallTimer(options.signal, target.timeoutMs);
    timer.arm();
    let chunks: AsyncIterator<Buffer> | undefined;
    let streaming = false;
    try {
      const providerAudio = await untilAborted(
        provider.synthesize(request, { signal: timer.signal, timeoutMs: target.timeoutMs, requestId: options.requestId }),
        timer.signal,
      );
      const measured = this.measured(provider, providerAudio);
      const audio = options.convert(measured.audio, timer.signal);
      // A pass-through hands the provider's own chunks on: nothing was converted.
      const passedThrough = audio.chunks === measured.audio.chunks;
      chunks = audio.chunks[Symbol.asyncIterator]();
      let first = await untilAborted(chunks.next(), timer.signal);
      while (!first.done && first.value.length === 0) first = await untilAborted(chunks.next(), timer.signal);
      if (first.done)
        throw new TtsError('provider_unavailable', `${provider.id} returned no audio`, { details: { provider: provider.id } });
      timer.disarm();
      const milliseconds = performance.now() - started;
      breaker.recordSuccess(options.permit);
      this.states.recordSuccess(provider.id, request.voice, milliseconds, providerAudio.descriptor.sampleRate);
      this.metrics.firstAudioAfter(provider.id, milliseconds / 1000);
      streaming = true;
      const flowing = this.flowing(provider, first.value, chunks, { timer, started, passedThrough, audioSeconds: measured.seconds });
      return { audio: { ...audio, chunks: flowing } };
    } catch (thrown) {
      const error = this.failure(thrown, provider, timer);
      stopQuietly(timer, error, chunks);
      const milliseconds = performance.now() - started;
      if (timer.callerLeft || isOurs(error)) {
        breaker.release(options.permit);
        return { error };
      }
      this.metrics.failedCall(provider.id, error.code, milliseconds / 1000);
      if (error.code === 'provider_rejected')
        breaker.recordSuccess(options.permit); // the upstream is healthy: it judged the request
      else breaker.recordFailure(options.permit);
      this.states.recordFailure(provider.id, error.code, error.message, milliseconds);
      return { error };
    } finally {
      if (!streaming) timer.dispose();
    }
  }

  /**
   * The rest of a started stream. A failure after the first bytes counts against the provider
   * (breaker, health, metrics) unless the caller left; a stream abandoned by its reader stops the call.
   */
  private async *flowing(
    provider: TtsProvider,
    first: Buffer,
    chunks: AsyncIterator<Buffer>,
    call: { timer: CallTimer; started: number; passedThrough: boolean; audioSeconds: () => number | undefined },
  ): AsyncGenerator<Buffer> {
    const { timer } = call;
    let bytes = first.length;
    let ended = false;
    try {
      yield first;
      for (;;) {
        timer.arm();
        const next = await untilAborted(chunks.next(), timer.signal);
        timer.disarm();
        if (next.done) break;
        bytes += next.value.length;
        yield next.value;
      }
      ended = true;
      const seconds = (performance.now() - call.started) / 1000;
      this.metrics.streamEnded(provider.id, seconds);
      const audioSeconds = call.audioSeconds();
      if (audioSeconds !== undefined) this.metrics.rtf(provider.id, seconds, audioSeconds);
    } catch (thrown) {
      ended = true;
      const error = this.failure(thrown, provider, timer);
      stopQuietly(timer, error, chunks);
      if (!timer.callerLeft && !isOurs(error)) {
        const milliseconds = performance.now() - call.started;
        this.metrics.streamEnded(provider.id, milliseconds / 1000, error.code);
        this.states.breaker(provider.id).recordFailure(CLOSED_CALL);
        this.states.recordFailure(provider.id, error.code, `after the first audio: ${error.message}`, milliseconds);
      }
      throw error;
    } finally {
      this.metrics.audioOut(provider.id, call.passedThrough, bytes);
      if (!ended) {
        // The reader stopped early (the client left, or took what it needed): not the provider's failure.
        timer.stop(new TtsError('service_unavailable', 'the stream was abandoned by its reader'));
        await chunks.return?.();
      }
      timer.dispose();
    }
  }

  /**
   * A local engine's raw PCM, counted as it goes by, for its real-time factor (synthesis time over
   * audio time); other streams are handed on as they are.
   */
  private measured(provider: TtsProvider, audio: AudioStream): { audio: AudioStream; seconds: () => number | undefined } {
    const { format, channels, sampleRate } = audio.descriptor;
    if (!ProviderRegistry.isLocal(provider) || format !== 'pcm') return { audio, seconds: () => undefined };
    let bytes = 0;
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of audio.chunks) {
        bytes += chunk.length;
        yield chunk;
      }
    }
    return { audio: { ...audio, chunks: counted() }, seconds: () => bytes / (2 * channels * sampleRate) };
  }

  /** What a thrown value means: the provider's TtsError, or the call's own timeout when it fired. */
  private failure(thrown: unknown, provider: TtsProvider, timer: CallTimer): TtsError {
    if (timer.timedOut && !(thrown instanceof TtsError && thrown.code === 'provider_timeout')) {
      return new TtsError('provider_timeout', `${provider.id} sent no audio for ${timer.timeoutMs} ms`, {
        details: { provider: provider.id },
        cause: thrown,
      });
    }
    return asTtsError(thrown, provider.id);
  }
}

/** A failure of this service's own step (the encoder, say), which says nothing about the provider. */
export function isOurs(error: TtsError): boolean {
  return error.code === 'internal' || error.code === 'format_unavailable';
}

/**
 * Ends a failed call's work: its signal aborts and its stream is closed. A chunk still awaited (a
 * provider that ignored the signal) is left to settle on its own; its outcome no longer matters.
 */
function stopQuietly(timer: CallTimer, reason: Error, chunks: AsyncIterator<Buffer> | undefined): void {
  timer.stop(reason);
  if (chunks?.return)
    Promise.resolve()
      .then(() => chunks.return?.())
      .catch(() => undefined);
}
