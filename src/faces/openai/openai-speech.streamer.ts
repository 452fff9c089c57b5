import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AudioEncoder } from '../../audio/audio-encoder';
import type { EncoderStream } from '../../audio/encoder-stream';
import { CreditsService } from '../../billing/credits.service';
import { toTtsError } from '../../common/errors/to-tts-error';
import type { ServiceRequest } from '../../common/request-context';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { ResolvedRoute } from '../../synthesis/routing/routing.types';
import { SynthesisRouter } from '../../synthesis/routing/synthesis.router';
import { SentenceAudio, synthesizeSentences } from '../../synthesis/sentence-synthesis';
import { countCharacters, SynthesisRequest } from '../../synthesis/synthesis-request';
import { SynthesisService } from '../../synthesis/synthesis.service';
import { AudioSink, SpeechStreamSink, SseSink } from './speech-stream.sinks';
import { fieldsIgnoredBy, speechFieldsOf } from './speech-field-support';

export type SpeechStreamFormat = 'audio' | 'sse';

const STREAM_PLAN = 'growing';
const STREAM_LOOKAHEAD = 1;

/** Headers naming who served and which fields that provider did not honour. */
export function servedHeaders(registry: ProviderRegistry, provider: string, request: SynthesisRequest): Record<string, string> {
  const ignored = fieldsIgnoredBy(registry.get(provider)?.kind, speechFieldsOf(request));
  return { 'x-tts-provider': provider, ...(ignored.length > 0 ? { 'x-ignored-fields': ignored.join(', ') } : {}) };
}

/**
 * Streams speech sentence by sentence: each sentence is synthesized through the router and written
 * to one encoder stream, whose bytes go out as they are produced, so the first audio leaves after
 * the first sentence rather than the whole text. Billed once for the whole text: reserved before
 * the first sentence, settled after the last, released when synthesis fails. A client that hangs
 * up is charged only for the sentences it was sent.
 */
@Injectable()
export class OpenAiSpeechStreamer {
  constructor(
    private readonly router: SynthesisRouter,
    private readonly synthesis: SynthesisService,
    private readonly credits: CreditsService,
    private readonly encoders: AudioEncoder,
    private readonly registry: ProviderRegistry,
  ) {}

  async stream(
    tenantId: string,
    request: SynthesisRequest,
    route: ResolvedRoute,
    format: SpeechStreamFormat,
    http: { request: ServiceRequest; response: Response },
  ): Promise<void> {
    const { response } = http;
    const price = this.synthesis.priceOf(request);
    const reference = `openai_stream_${randomUUID()}`;
    await this.credits.reserveForRequest(tenantId, price, reference);
    const cancel = new AbortController();
    const onClose = () => {
      if (!response.writableFinished) cancel.abort(new Error('the client closed the connection'));
    };
    response.on('close', onClose);
    let encoder: EncoderStream | undefined;
    let sentCharacters = 0;
    try {
      encoder = this.encoders.createStream(route.sampleRate, request.format);
      const sink: SpeechStreamSink = format === 'sse' ? new SseSink(response, encoder) : new AudioSink(response, encoder);
      for await (const sentence of synthesizeSentences(this.router, request, {
        requestId: http.request.id,
        signal: cancel.signal,
        plan: STREAM_PLAN,
        lookahead: STREAM_LOOKAHEAD,
      })) {
        if (sentence.index === 0) sink.open(servedHeaders(this.registry, sentence.provider, request));
        this.write(encoder, sentence);
        sentCharacters += countCharacters(sentence.text);
      }
      encoder.end();
      await sink.finish({ characters: request.characters });
      await this.credits.settleRequest(reference, price);
    } catch (exception) {
      encoder?.abort('synthesis stopped');
      await this.finishBilling(reference, cancel.signal.aborted, request, sentCharacters);
      if (!response.headersSent) throw exception;
      if (format === 'sse' && encoder) new SseSink(response, encoder).fail(toTtsError(exception));
      else response.destroy();
    } finally {
      response.off('close', onClose);
    }
  }

  private write(encoder: EncoderStream, sentence: SentenceAudio): void {
    if (sentence.leadingSilence.length > 0) encoder.write(sentence.leadingSilence);
    encoder.write(sentence.samples);
  }

  /** A failed synthesis charges nothing; a client that left mid-stream pays for what it was sent. */
  private async finishBilling(reference: string, clientLeft: boolean, request: SynthesisRequest, sentCharacters: number): Promise<void> {
    if (clientLeft && sentCharacters > 0)
      await this.credits.settle(reference, this.synthesis.priceOf({ route: request.route, characters: sentCharacters }));
    else await this.credits.release(reference);
  }
}
