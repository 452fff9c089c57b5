import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AudioEncoder, EncodedAudio } from '../audio/audio-encoder';
import { CreditsService } from '../billing/credits.service';
import { AppConfig } from '../config/app-config';
import type { AttemptRecord, ResolvedRoute } from './routing/routing.types';
import { SynthesisRouter } from './routing/synthesis.router';
import { joinSentences, SentenceAudio, synthesizeSentences } from './sentence-synthesis';
import type { SynthesisRequest } from './synthesis-request';

export interface SynthesisOutcome {
  audio: EncodedAudio;
  provider: string;
  model?: string;
  characters: number;
  credits: number;
  attempts: AttemptRecord[];
  segments?: Array<{ text: string; startSeconds: number; endSeconds: number }>;
}

/**
 * The use case behind every synchronous endpoint: check the route, reserve credits, synthesize,
 * encode, then settle — or release when anything fails, so a failed synthesis charges nothing.
 */
@Injectable()
export class SynthesisService {
  constructor(
    private readonly router: SynthesisRouter,
    private readonly credits: CreditsService,
    private readonly encoder: AudioEncoder,
    private readonly config: AppConfig,
  ) {}

  priceOf(request: Pick<SynthesisRequest, 'route' | 'characters'>): number {
    return this.config.pricing.creditsFor(request.route, request.characters);
  }

  /** Validates the route (unknown voice/provider → TtsError) and the output format before anything is billed. */
  async validate(request: SynthesisRequest, fields?: { route?: string; fallbacks?: string; format?: string }): Promise<ResolvedRoute> {
    const route = this.router.resolve(request, fields);
    await this.encoder.assertAvailable(request.format, fields?.format ?? 'format');
    return route;
  }

  async synthesizeNow(
    tenantId: string,
    request: SynthesisRequest,
    options: { requestId: string; signal?: AbortSignal },
  ): Promise<SynthesisOutcome> {
    const credits = this.priceOf(request);
    const reference = `sync_${randomUUID()}`;
    await this.credits.reserveForRequest(tenantId, credits, reference);
    try {
      const outcome = await this.render(request, options);
      await this.credits.settleRequest(reference, credits);
      return { ...outcome, credits };
    } catch (error) {
      await this.credits.release(reference);
      throw error;
    }
  }

  /** Routes and encodes without billing: the jobs processor bills by job id itself. */
  async render(
    request: SynthesisRequest,
    options: { requestId: string; signal?: AbortSignal },
  ): Promise<Omit<SynthesisOutcome, 'credits'>> {
    if (request.withTimestamps) return this.renderBySentence(request, options);
    const routed = await this.router.synthesize(request, options);
    const { samples, sampleRate, segments } = routed.audio;
    const audio = await this.encoder.encode(samples, sampleRate, request.format);
    return {
      audio,
      provider: routed.provider,
      model: routed.model ?? routed.voice,
      characters: request.characters,
      attempts: routed.attempts,
      segments: segments?.map((segment) => ({
        text: segment.text,
        startSeconds: segment.startSample / sampleRate,
        endSeconds: segment.endSample / sampleRate,
      })),
    };
  }

  /**
   * Timestamps for any engine: each sentence is synthesized on its own, so its start and end are
   * known to the sample whether or not the provider reports segments. Three sentences are in flight
   * at once so a job keeps the engine's parallelism (nobody is waiting for the first sentence here).
   */
  private async renderBySentence(
    request: SynthesisRequest,
    options: { requestId: string; signal?: AbortSignal },
  ): Promise<Omit<SynthesisOutcome, 'credits'>> {
    const sentences: SentenceAudio[] = [];
    for await (const sentence of synthesizeSentences(this.router, request, { ...options, plan: 'sentence', lookahead: 3 }))
      sentences.push(sentence);
    const { samples, sampleRate, segments } = joinSentences(sentences);
    const audio = await this.encoder.encode(samples, sampleRate, request.format);
    return {
      audio,
      provider: sentences[0].provider,
      model: sentences[0].model,
      characters: request.characters,
      attempts: sentences.flatMap((sentence) => sentence.attempts),
      segments,
    };
  }
}
