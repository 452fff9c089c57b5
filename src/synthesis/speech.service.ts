import { Injectable } from '@nestjs/common';
import type { ClientAudio } from '../audio/audio-pipeline';
import { AudioPipeline } from '../audio/audio-pipeline';
import { collectBytes, onePiece, OutputSpec } from '../audio/audio-stream';
import { floatToPcm16 } from '../audio/wav';
import { wholeFile } from '../audio/whole-file';
import { AppConfig } from '../config/app-config';
import { CreateJobOptions, CreatedJob, JobService } from '../jobs/job.service';
import { ProviderRegistry } from '../providers/provider.registry';
import { AudioCache, CachePlan } from './cache/audio-cache';
import { cacheEntryOf, cacheEntryOfFile, renderedOfHit, streamOfHit } from './cache/cached-speech';
import type { CacheFill } from './cache/cache-fill';
import { fieldsIgnoredBy, speechFieldsOf } from './field-support';
import type { UsageAttribution } from '../billing/credits.service';
import { RequestBilling } from './request-billing';
import { targetIn, type ResolvedRoute, type RouteFieldNames, type RoutedStream, type RouteTarget } from './routing/routing.types';
import { SynthesisRouter } from './routing/synthesis.router';
import { VoiceCatalog } from './routing/voice-catalog';
import { joinSentences, SentenceAudio, sentencesAsSpoken, speakSentences, SpokenSentence } from './sentence-synthesis';
import type {
  BilledSpeech,
  CatalogVoice,
  RenderedSpeech,
  Served,
  SpeechStream,
  SpokenAudio,
  TimedSegment,
  TimedSpeechStream,
} from './speech.types';
import { pairWithSpans, sentencesAsPcm, type TimedPiece } from './timed-audio';
import { concatSamples, describe, linkedController } from './speech-audio';
import { answeredAfterAdmission } from '../common/request-context';
import type { FaceName, SynthesisRequest } from './synthesis-request';

/** A request checked and priced once: route resolved, output fixed. Nothing is billed yet. */
export interface PreparedSpeech {
  readonly request: SynthesisRequest;
  readonly route: ResolvedRoute;
  readonly price: number;
  readonly output: OutputSpec;
}

/** Who a synthesis is for: the tenant billed, and the key and face the usage report attributes it to. */
export interface SpeechCaller {
  tenantId: string;
  requestId: string;
  apiKeyId?: string;
  face?: FaceName | 'elevenlabs' | 'admin';
  /**
   * The key's rate limit when it is still being decided (the request was admitted ahead, `@Admitted({ ahead:
   * true })`): stream() works meanwhile, but delivers and keeps no charge before it lets the request
   * through; a refusal calls the work off, gives back what was reserved or charged, and is the answer.
   */
  admission?: Promise<void>;
}

/** The voice a usage event names: the route asked for, with the upstream voice when one was named apart (`openai/tts-1:alloy`). */
export function usageVoice(request: Pick<SynthesisRequest, 'route' | 'voice'>): string {
  return request.voice ? `${request.route}:${request.voice}` : request.route;
}

/** Face field names for the neutral request's fields, so errors point at the client's own. */
export interface SpeechFieldNames extends RouteFieldNames {
  format?: string;
}

/** What a job's render needs besides the request: its id (for logs and upstreams), its tenant (the cache's scope) and a stop signal. */
export interface RenderOptions {
  requestId: string;
  tenantId: string;
  signal?: AbortSignal;
}

/** The route target that served (its cache key is made from it). */
type ServedTarget = Pick<RoutedStream, 'provider' | 'voice' | 'model'>;

/** Speaks one sentence; `failedTarget` is the target that failed once a sentence had its target (partway through the text). */
type SentenceSpeaker = ((text: string, signal: AbortSignal) => Promise<SpokenSentence>) & { failedTarget?: RouteTarget };

/** Sentences in flight at once when a request asks for timestamps (a job: nobody waits for the first). */
const TIMESTAMP_LOOKAHEAD = 3;

/**
 * The speech use case, one home for every face: a request is prepared once (route resolved, price,
 * output checked), then spoken as a stream, spoken whole, submitted as a job, or rendered for a job.
 * Audio flows provider → pipeline → client as it is produced; billing follows one rule
 * (RequestBilling). Faces see only this, never providers, routing or billing.
 */
@Injectable()
export class SpeechService {
  constructor(
    private readonly router: SynthesisRouter,
    private readonly pipeline: AudioPipeline,
    private readonly billing: RequestBilling,
    private readonly jobs: JobService,
    private readonly catalog: VoiceCatalog,
    private readonly registry: ProviderRegistry,
    private readonly config: AppConfig,
    private readonly cache: AudioCache,
  ) {}

  /** Validates what the request names (unknown voice/provider, unavailable format → TtsError) before anything is billed. */
  async prepare(request: SynthesisRequest, fields: SpeechFieldNames = {}): Promise<PreparedSpeech> {
    const route = this.router.resolve(request, fields);
    await this.pipeline.assertAvailable(request.format, fields.format ?? 'format');
    return { request, route, price: this.priceOf(request), output: outputSpecOf(request, route.sampleRate) };
  }

  priceOf(request: Pick<SynthesisRequest, 'route' | 'characters'>): number {
    return this.config.pricing.creditsFor(request.route, request.characters);
  }

  /**
   * Speech as it is produced, billed. A cache hit is charged its hit price by the statement that reads
   * it and streams the stored file; the charge is given back if the stream ends before its first byte
   * was delivered. Otherwise credits are reserved now; charged once the face marks
   * audio delivered or the stream ends whole; released when it ends before anything was delivered. A
   * miss is stored in the cache once its stream has ended whole.
   */
  async stream(prepared: PreparedSpeech, caller: SpeechCaller, clientSignal?: AbortSignal): Promise<SpeechStream> {
    // Admitted ahead: a refusal stops what is under way at once (a wait for an identical synthesis, the provider call).
    const signal = stoppedByRefusal(caller, clientSignal);
    const decision = this.cache.decide(prepared, caller.tenantId, 'request');
    if (!('plan' in decision)) return this.synthesize(prepared, caller, signal);
    const taken = await limitFirst(caller, () => this.takeHit(prepared, caller, decision.plan, signal));
    if ('hit' in taken) {
      const refusal = await refusalOf(caller.admission);
      if (refusal) {
        await this.billing.refundHitBeforeAnswering(taken.reference);
        throw refusal;
      }
      const billed = this.billing.billedHit(taken.hit.chunks, taken.reference);
      return { ...taken.hit, chunks: billed.chunks, markDelivered: billed.delivered };
    }
    try {
      return await this.synthesize(prepared, caller, signal, { plan: decision.plan, fill: taken.fill });
    } catch (error) {
      taken.fill.abandon();
      throw error;
    }
  }

  /**
   * A stored (or just synthesized) entry for `plan`, charged its hit price, as a stream; or the fill a
   * miss completes. The charge is given back if the stream ends before its first byte was delivered
   * (RequestBilling.billedHit, applied by the caller to what it streams).
   */
  private async takeHit(
    prepared: PreparedSpeech,
    caller: SpeechCaller,
    plan: CachePlan,
    signal: AbortSignal | undefined,
  ): Promise<{ hit: SpeechStream; segments: TimedSegment[] | undefined; reference: string } | { fill: CacheFill }> {
    const credits = this.config.pricing.cacheHitCredits(prepared.price);
    const charge = this.billing.hitCharge(caller.tenantId, credits, this.attributionOf(prepared, caller));
    const acquired = await this.cache.acquire(plan, signal, charge);
    if (!('hit' in acquired)) return { fill: acquired.fill };
    const { meta } = acquired.hit;
    if (!acquired.charged) await this.billing.chargeHit(charge, { provider: meta.provider, audioSeconds: meta.durationSeconds });
    const { request } = prepared;
    const hit = streamOfHit(acquired.hit, {
      characters: request.characters,
      credits,
      ignoredFields: this.ignoredFields(request, meta.provider),
    });
    return { hit, segments: meta.segments, reference: charge.reference };
  }

  private async synthesize(
    prepared: PreparedSpeech,
    caller: SpeechCaller,
    signal: AbortSignal | undefined,
    caching?: { plan: CachePlan; fill: CacheFill },
  ): Promise<SpeechStream> {
    const { request, price, output } = prepared;
    if (signal?.aborted) await caller.admission; // refused already (admitted ahead): nothing is reserved
    // A key known to have the credits starts its synthesis while the reservation is made (RequestBilling).
    const early = this.billing.mayStartBeforeReserved(caller.tenantId, caller.apiKeyId, price);
    let sent!: () => void;
    const statementSent = new Promise<void>((resolve) => (sent = resolve));
    const reservation = settled(this.reserve(prepared, caller, sent));
    if (early) {
      // The upstream call starts once the reservation's statement is on its connection (a pooled one is
      // handed out a tick later), so PostgreSQL works on it meanwhile; no later than the next turn of the
      // event loop, so a pool with no idle connection does not hold the call back. Refused already: no call.
      const first = await Promise.race([reservation, statementSent, new Promise<void>((resolve) => setImmediate(resolve))]);
      if (first && 'error' in first) {
        await caller.admission; // the rate limit's refusal comes first
        throw first.error;
      }
    } else await limitFirst(caller, () => reservedOrThrow(reservation));
    const controller = linkedController(signal);
    const stop = () => controller.abort(new Error('the speech stream was stopped'));
    // Refused while the synthesis starts: stop it at once (an upstream may not have answered yet).
    if (early) void reservation.then((outcome) => 'error' in outcome && stop());
    let routed: RoutedStream<ClientAudio>;
    try {
      routed = await this.router.open(prepared.route, request, {
        requestId: caller.requestId,
        signal: controller.signal,
        output,
        convert: (own, callSignal) => this.pipeline.convert(own, output, callSignal),
      });
    } catch (error) {
      const status = signal?.aborted ? 'cancelled' : 'failed';
      stop();
      // A refused reservation is the answer (402), whatever the synthesis it overlapped did; a refusal by
      // the rate limit (429) comes before both.
      const reference = await limitFirst(caller, () => reservedOrThrow(reservation));
      await this.billing.releaseBeforeAnswering(reference, price, { status });
      await caller.admission;
      throw error;
    }
    const reference = await limitFirst(caller, () => reservedOrThrow(reservation)); // a refusal has stopped the synthesis already
    const refusal = await refusalOf(caller.admission);
    if (refusal) {
      // Admitted ahead, then refused: nothing was delivered, so the reservation goes back whole.
      stop();
      await this.billing.releaseBeforeAnswering(reference, price, { status: 'cancelled' });
      throw refusal;
    }
    const audio = routed.audio;
    const served = this.servedBy(routed, request);
    const described = describe(audio);
    const chunks = caching
      ? caching.fill.tee(audio.chunks, (bytes) => ({
          key: this.cache.keyFor(prepared, caching.plan.scope, routed, caching.plan.bySentence),
          audio: cacheEntryOf(described, bytes, audio.samplesWritten(), served),
        }))
      : audio.chunks;
    const billed = this.billing.billed(chunks, reference, price, stop, (bytes) => {
      const seconds = audioSecondsOf(audio, bytes);
      return { provider: routed.provider, ...(seconds !== undefined ? { audioSeconds: seconds } : {}) };
    });
    return {
      ...served,
      credits: price,
      ignoredFields: this.ignoredFields(request, routed.provider),
      cache: caching ? 'miss' : 'bypass',
      ...described,
      chunks: billed.chunks,
      samplesWritten: () => audio.samplesWritten(),
      markDelivered: billed.delivered,
    };
  }

  /** Speech as one file, billed only when it is whole (a failure halfway charges nothing). */
  async speak(prepared: PreparedSpeech, caller: SpeechCaller, signal?: AbortSignal): Promise<BilledSpeech> {
    if (prepared.request.withTimestamps) throw new Error('speak() does not do timestamps; render() does');
    const stream = await this.stream(prepared, caller, signal);
    return { ...stream, ...(await this.collect(stream)) };
  }

  /** The rest of a stream as one file (a WAV's sizes set); the caller marks it delivered once it is sent. */
  async collect(speech: SpeechStream): Promise<SpokenAudio> {
    return this.wholeFile(speech, await collectBytes(speech.chunks), speech.samplesWritten());
  }

  /** A job for the request (reserved now, synthesized by a worker). */
  submit(
    prepared: PreparedSpeech,
    caller: Pick<SpeechCaller, 'tenantId' | 'apiKeyId'>,
    options: Omit<CreateJobOptions, 'credits'>,
  ): Promise<CreatedJob> {
    return this.jobs.create(caller.tenantId, prepared.request, { ...options, apiKeyId: caller.apiKeyId, credits: prepared.price });
  }

  /**
   * A job's audio as one file, unbilled (the job is billed by its own id, at the hit price when the
   * audio came from the cache). A miss is stored in the cache once the file is whole.
   */
  async render(request: SynthesisRequest, options: RenderOptions): Promise<RenderedSpeech> {
    const prepared = await this.prepare(request);
    const bySentence = request.withTimestamps === true;
    const decision = this.cache.decide(prepared, options.tenantId, 'job', bySentence);
    if (!('plan' in decision)) return { ...(await this.renderFile(prepared, options)).rendered, cache: 'bypass' };
    const acquired = await this.cache.acquire(decision.plan, options.signal);
    if ('hit' in acquired) return renderedOfHit(acquired.hit, request.characters);
    const { fill } = acquired;
    try {
      const { rendered, target } = await this.renderFile(prepared, options);
      const key = target && this.cache.keyFor(prepared, decision.plan.scope, target, bySentence);
      // Awaited (a few ms): once a job has succeeded, any process finds its audio in the cache.
      if (key) await fill.complete(key, cacheEntryOfFile(rendered, rendered));
      else fill.abandon();
      return { ...rendered, cache: 'miss' };
    } catch (error) {
      fill.abandon();
      throw error;
    }
  }

  /** The file, and the one target that spoke all of it (undefined when sentences were spoken by different targets). */
  private async renderFile(
    prepared: PreparedSpeech,
    options: RenderOptions,
  ): Promise<{ rendered: Omit<RenderedSpeech, 'cache'>; target?: ServedTarget }> {
    if (prepared.request.withTimestamps) return this.renderBySentence(prepared, options);
    const { request } = prepared;
    const controller = linkedController(options.signal);
    try {
      const routed = await this.router.open(prepared.route, request, {
        requestId: options.requestId,
        signal: controller.signal,
        output: prepared.output,
        convert: (own, callSignal) => this.pipeline.convert(own, prepared.output, callSignal),
      });
      const audio = routed.audio;
      const bytes = await collectBytes(audio.chunks);
      return {
        rendered: { ...this.servedBy(routed, request), ...this.wholeFile(describe(audio), bytes, audio.samplesWritten()) },
        target: routed,
      };
    } finally {
      controller.abort(new Error('rendering ended'));
    }
  }

  /** Catalogue voices, and whether each can be served now. */
  voices(): CatalogVoice[] {
    return this.catalog.list();
  }

  voice(id: string): CatalogVoice | undefined {
    return this.catalog.get(id);
  }

  /** Fields of `request` that `provider` would not honour, e.g. before a job has run (its route's first target). */
  ignoredFields(request: SynthesisRequest, provider: string | undefined): Served['ignoredFields'] {
    return fieldsIgnoredBy(provider ? this.registry.get(provider)?.capabilities().fields : undefined, speechFieldsOf(request));
  }

  /** Whether a `provider/model` string names a voice on this provider (local engines, Sauti peers) rather than a model. */
  modelNamesVoice(provider: string): boolean | undefined {
    const found = this.registry.get(provider);
    return found ? ProviderRegistry.modelNamesVoice(found) : undefined;
  }

  /** Timestamps for any engine: each sentence is spoken on its own, so its start and end are known to the sample. */
  private async renderBySentence(
    prepared: PreparedSpeech,
    options: RenderOptions,
  ): Promise<{ rendered: Omit<RenderedSpeech, 'cache'>; target?: ServedTarget }> {
    const { request } = prepared;
    let route = prepared.route;
    let sentences: SentenceAudio[];
    for (;;) {
      const speakOne = this.sentenceSpeaker({ ...prepared, route }, options.requestId);
      try {
        sentences = await speakSentences(request.text, speakOne, { signal: options.signal, lookahead: TIMESTAMP_LOOKAHEAD });
        break;
      } catch (error) {
        // Nothing is delivered before the file is whole: a target that failed partway through the text
        // is left out, and the whole text is spoken again by the next one.
        const failed = speakOne.failedTarget;
        const rest = failed ? route.targets.slice(route.targets.indexOf(failed) + 1) : [];
        if (rest.length === 0 || options.signal?.aborted) throw error;
        route = { ...route, targets: rest };
      }
    }
    const { samples, segments } = joinSentences(sentences, route.sampleRate);
    const source = {
      descriptor: { format: 'pcm' as const, sampleRate: route.sampleRate, channels: 1 },
      chunks: onePiece(floatToPcm16(samples)),
    };
    const audio = this.pipeline.convert({ ...source, byteLength: samples.length * 2 }, prepared.output);
    const bytes = await collectBytes(audio.chunks);
    const first = sentences[0];
    const oneTarget = sentences.every((s) => s.provider === first.provider && s.voice === first.voice && s.model === first.model);
    return {
      rendered: {
        provider: first.provider,
        ...(first.model ? { model: first.model } : {}),
        attempts: sentences.flatMap((sentence) => sentence.attempts),
        characters: request.characters,
        ...this.wholeFile(describe(audio), bytes, audio.samplesWritten()),
        segments,
      },
      ...(oneTarget && first.voice ? { target: { provider: first.provider, voice: first.voice, model: first.model } } : {}),
    };
  }

  /**
   * Speech sentence by sentence as it is produced, each chunk with the spans of the sentences it
   * completes (exact to the sample), billed by the one rule like stream(). A failure before the first
   * sentence is spoken is thrown, and nothing is charged.
   */
  async streamTimed(prepared: PreparedSpeech, caller: SpeechCaller, signal?: AbortSignal): Promise<TimedSpeechStream> {
    await caller.admission; // nothing runs ahead of the rate limit here
    // Keyed like a job with timestamps: the same sentences, pauses and encoder make the same file.
    const decision = this.cache.decide(prepared, caller.tenantId, 'request', true);
    if (!('plan' in decision)) return this.synthesizeTimed(prepared, caller, signal);
    const taken = await this.takeHit(prepared, caller, decision.plan, signal);
    if ('hit' in taken && !taken.segments) {
      // An entry under a by-sentence key always has its spans; one without them cannot time the text.
      await this.billing.refundHitBeforeAnswering(taken.reference);
      return this.synthesizeTimed(prepared, caller, signal);
    }
    if ('hit' in taken) {
      // The stored file and every sentence's span in one piece.
      const { chunks: file, samplesWritten: _samples, base64: _base64, ...hit } = taken.hit;
      const billed = this.billing.billedHit(withSpans(file, taken.segments!), taken.reference);
      return { ...hit, pieces: billed.chunks, markDelivered: billed.delivered };
    }
    try {
      return await this.synthesizeTimed(prepared, caller, signal, { plan: decision.plan, fill: taken.fill });
    } catch (error) {
      taken.fill.abandon();
      throw error;
    }
  }

  private async synthesizeTimed(
    prepared: PreparedSpeech,
    caller: SpeechCaller,
    signal: AbortSignal | undefined,
    caching?: { plan: CachePlan; fill: CacheFill },
  ): Promise<TimedSpeechStream> {
    const { request, route, price, output } = prepared;
    const reference = await this.reserve(prepared, caller);
    const controller = linkedController(signal);
    const stop = () => controller.abort(new Error('the speech stream was stopped'));
    const speakOne = this.sentenceSpeaker(prepared, caller.requestId);
    const sentences = sentencesAsSpoken(request.text, speakOne, { signal: controller.signal, lookahead: TIMESTAMP_LOOKAHEAD });
    let first: SentenceAudio;
    try {
      const next = await sentences.next();
      if (next.done) throw new Error('a request with text has at least one sentence');
      first = next.value;
    } catch (error) {
      const status = signal?.aborted ? 'cancelled' : 'failed';
      stop();
      await this.billing.releaseBeforeAnswering(reference, price, { status });
      throw error;
    }
    const completed: TimedSegment[] = [];
    const spans: TimedSegment[] = []; // every span, for the cache entry
    const pcm = sentencesAsPcm(withFirst(first, sentences), route.sampleRate, (segment) => {
      completed.push(segment);
      spans.push(segment);
    });
    const source = { descriptor: { format: 'pcm' as const, sampleRate: route.sampleRate, channels: 1 }, chunks: pcm };
    const audio = this.pipeline.convert(source, output, controller.signal);
    const described = describe(audio);
    const model = first.model ?? first.voice;
    const encoded = caching
      ? caching.fill.tee(audio.chunks, (bytes) => {
          const entry = cacheEntryOf(described, bytes, audio.samplesWritten(), { provider: first.provider, ...(model ? { model } : {}) });
          return {
            key: first.voice && this.cache.keyFor(prepared, caching.plan.scope, { ...first, voice: first.voice }, true),
            audio: { ...entry, meta: { ...entry.meta, segments: spans } },
          };
        })
      : audio.chunks;
    const billed = this.billing.billed(pairWithSpans(encoded, completed), reference, price, stop, () => {
      const seconds = audioSecondsOf(audio, 0);
      return { provider: first.provider, ...(seconds !== undefined ? { audioSeconds: seconds } : {}) };
    });
    return {
      provider: first.provider,
      ...(first.model ? { model: first.model } : {}),
      attempts: first.attempts,
      characters: request.characters,
      credits: price,
      ignoredFields: this.ignoredFields(request, first.provider),
      // Stored once it has ended whole, with every sentence's span (as a job with timestamps is).
      cache: caching ? 'miss' : 'bypass',
      ...described,
      pieces: billed.chunks,
      markDelivered: billed.delivered,
    };
  }

  /** Holds the price for the caller, attributed for the usage report and charged to the key's budget. */
  private reserve(prepared: PreparedSpeech, caller: SpeechCaller, onSent?: () => void): Promise<string> {
    return this.billing.reserve(caller.tenantId, prepared.price, this.attributionOf(prepared, caller), onSent);
  }

  private attributionOf(prepared: PreparedSpeech, caller: SpeechCaller): UsageAttribution {
    return { apiKeyId: caller.apiKeyId, face: caller.face, voice: usageVoice(prepared.request), characters: prepared.request.characters };
  }

  /**
   * Speaks one sentence at a time, as mono samples at the route's rate. The first sentence goes through
   * the route's chain like any request; every later one is spoken by the target that spoke the first,
   * and only by it: a text is never read in two voices. A later sentence that fails there fails the
   * request (a stream that has sent audio then ends as any stream does; a file is spoken again by the
   * next target, renderBySentence). The later sentences start once the first has its target.
   */
  private sentenceSpeaker(prepared: PreparedSpeech, requestId: string): SentenceSpeaker {
    const { request, route } = prepared;
    const pcmAtRouteRate: OutputSpec = { format: 'pcm', sampleRate: route.sampleRate };
    // The first sentence's call: its target, once it has one (rejected when it found none).
    let first: Promise<RouteTarget> | undefined;
    const speaker: SentenceSpeaker = async (text, signal) => {
      const pinned = first && (await first);
      const opening = this.router.open(
        pinned ? { ...route, targets: [pinned] } : route,
        { ...request, text },
        { requestId, signal, output: pcmAtRouteRate, convert: (own, callSignal) => this.pipeline.convert(own, pcmAtRouteRate, callSignal) },
      );
      if (!first) {
        first = opening.then((routed) => targetIn(route, routed) ?? route.targets[0]);
        first.catch(() => undefined); // the first sentence's own failure is what the caller sees
      }
      let routed: RoutedStream<ClientAudio>;
      try {
        routed = await opening;
      } catch (error) {
        if (pinned) speaker.failedTarget ??= pinned;
        throw error;
      }
      const serving = pinned ?? (await first);
      const parts: Float32Array[] = [];
      try {
        // Raw PCM from an upstream may split a sample across chunks: read it with the pipeline's carry-over.
        for await (const samples of this.pipeline.samples(routed.audio, route.sampleRate)) parts.push(samples);
      } catch (error) {
        speaker.failedTarget ??= serving; // it failed partway through its sentence
        throw error;
      }
      return {
        samples: concatSamples(parts),
        provider: routed.provider,
        voice: routed.voice,
        ...(routed.model ? { model: routed.model } : {}),
        attempts: routed.attempts,
      };
    };
    return speaker;
  }

  private servedBy(routed: RoutedStream, request: SynthesisRequest): Omit<Served, 'credits' | 'ignoredFields' | 'cache'> {
    const model = routed.model ?? routed.voice;
    return { provider: routed.provider, ...(model ? { model } : {}), attempts: routed.attempts, characters: request.characters };
  }

  /** A collected stream as a file (headers completed) with its duration. */
  private wholeFile(
    audio: Pick<SpeechStream, 'format' | 'contentType' | 'sampleRate'>,
    bytes: Buffer,
    samples: number | undefined,
  ): SpokenAudio {
    const file = wholeFile(audio.format, bytes, audio.sampleRate, samples);
    return { ...file, format: audio.format, contentType: audio.contentType, sampleRate: audio.sampleRate };
  }
}

/**
 * How long the audio sent plays, for the usage report: from the samples we encoded, or for a provider's
 * PCM or WAV passed through, from its length (16-bit samples, a 44-byte WAV header); unknown for a
 * compressed file passed through untouched.
 */
function audioSecondsOf(audio: ClientAudio, bytes: number): number | undefined {
  const { sampleRate, channels, format } = audio.descriptor;
  const samples = audio.samplesWritten();
  if (samples !== undefined) return samples / sampleRate;
  const bytesPerSecond = sampleRate * Math.max(1, channels) * 2;
  if (format === 'pcm') return bytes / bytesPerSecond;
  if (format === 'wav') return Math.max(0, bytes - 44) / bytesPerSecond;
  return undefined;
}

/** What the client gets: the rate and bitrate it named exactly, or the route's own rate. */
function outputSpecOf(request: SynthesisRequest, routeRate: number): OutputSpec {
  if (!request.output) return { format: request.format, sampleRate: routeRate };
  const { sampleRate, bitrateKbps } = request.output;
  return { format: request.format, sampleRate, exactRate: true, ...(bitrateKbps !== undefined ? { bitrateKbps } : {}) };
}

/** A promise's outcome, never rejecting (so it may be awaited later without an unhandled rejection meanwhile). */
function settled<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** `work`, or its error; but when the caller's rate limit refuses the request, that refusal (429) is the answer. */
function limitFirst<T>(caller: SpeechCaller, work: () => Promise<T>): Promise<T> {
  return answeredAfterAdmission(caller.admission, work);
}

/** The client's signal, also aborted when the rate limit the request was admitted ahead of refuses it. */
function stoppedByRefusal(caller: SpeechCaller, signal: AbortSignal | undefined): AbortSignal | undefined {
  if (!caller.admission) return signal;
  const controller = linkedController(signal);
  caller.admission.catch((error: unknown) => controller.abort(error));
  return controller.signal;
}

/** What `admission` was refused with, or undefined once it let the request through (or there is none). */
function refusalOf(admission: Promise<void> | undefined): Promise<unknown> {
  return admission
    ? admission.then(
        () => undefined,
        (error: unknown) => error ?? new Error('refused'),
      )
    : Promise.resolve(undefined);
}

async function reservedOrThrow(reservation: Promise<{ value: string } | { error: unknown }>): Promise<string> {
  const outcome = await reservation;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

/** A stored file as one timed piece, with every sentence's span. */
async function* withSpans(file: AsyncIterable<Buffer>, segments: TimedSegment[]): AsyncGenerator<TimedPiece> {
  yield { audio: await collectBytes(file), segments };
}

async function* withFirst<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}
