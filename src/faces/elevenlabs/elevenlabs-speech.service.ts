import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { abortOnDisconnect } from '../../common/http/abort-on-disconnect';
import { answeredAfterAdmission, pendingAdmission, type ServiceRequest } from '../../common/request-context';
import { TtsError } from '../../common/tts-error';
import { CharacterTimeline, CharacterTimings } from '../../synthesis/character-timing';
import { PreparedSpeech, SpeechCaller, SpeechService } from '../../synthesis/speech.service';
import type { Served, TimedSpeechStream } from '../../synthesis/speech.types';
import { sendAudioFile, sendAudioStream } from '../shared/audio-response';
import { cacheStatusHeader, withCacheControl } from '../shared/cache-control';
import { modelIdOf } from './elevenlabs-catalog.mapper';
import { ElevenLabsSpeechRequest, parseElevenLabsSpeech } from './elevenlabs-request.parser';

/** The route's fields in the face's names, so routing and format errors point at the client's own. */
const FIELD_NAMES = { route: 'voice_id', fallbacks: 'fallbacks', format: 'output_format' };

/** The neutral names of provider-dependent fields, as ElevenLabs names them. */
const FIELD_WORDS: Record<Served['ignoredFields'][number], string> = {
  speed: 'voice_settings.speed',
  language_code: 'language_code',
  voice: 'voice_id',
  instructions: 'instructions',
};

interface Http {
  request: ServiceRequest;
  response: Response;
}

export interface ElevenLabsCall {
  tenantId: string;
  /** The key that asked: usage attribution and its budget (docs/usage.md). */
  apiKeyId: string;
  voiceId: string;
  body: unknown;
  query: Record<string, unknown>;
}

/**
 * ElevenLabs' text-to-speech calls over the one engine: validate the dialect, prepare once (route,
 * price, output), then speak through SpeechService, which bills by the one rule. Audio is the exact
 * `output_format` asked; fields that change nothing here are named in `x-ignored-fields`.
 */
@Injectable()
export class ElevenLabsSpeechService {
  constructor(private readonly speech: SpeechService) {}

  /** `POST /v1/text-to-speech/{voice_id}`: the whole file, with its length (ElevenLabs' non-streaming answer). */
  async convert(call: ElevenLabsCall, http: Http): Promise<void> {
    const { parsed, prepared } = await this.prepare(call, http.request);
    await abortOnDisconnect(http.response, async (signal) => {
      const speech = await this.speech.stream(prepared, callerOf(call, http), signal);
      const file = await this.speech.collect(speech);
      speech.markDelivered();
      sendAudioFile(http.response, file.bytes, speech.contentType, this.headers(parsed, speech, http.request));
    });
  }

  /** `POST /v1/text-to-speech/{voice_id}/stream`: chunked audio as it is produced. */
  async stream(call: ElevenLabsCall, http: Http): Promise<void> {
    const { parsed, prepared } = await this.prepare(call, http.request);
    await abortOnDisconnect(http.response, async (signal) => {
      const speech = await this.speech.stream(prepared, callerOf(call, http), signal);
      await sendAudioStream(http.response, speech, { ...this.headers(parsed, speech, http.request), 'cache-control': 'no-store' });
    });
  }

  /** `POST /v1/text-to-speech/{voice_id}/with-timestamps`: the whole audio in base64 with character timings. */
  async withTimestamps(call: ElevenLabsCall, http: Http): Promise<void> {
    const { parsed, prepared } = await this.prepare(call, http.request);
    await abortOnDisconnect(http.response, async (signal) => {
      const speech = await this.speech.streamTimed(prepared, callerOf(call, http), signal);
      const timeline = new CharacterTimeline(prepared.request.text);
      const audio: Buffer[] = [];
      const timings: CharacterTimings[] = [];
      for await (const piece of speech.pieces) {
        audio.push(piece.audio);
        timings.push(timeline.next(piece.segments));
      }
      timings.push(timeline.rest());
      speech.markDelivered();
      const alignment = alignmentOf(joinTimings(timings));
      const body = Buffer.from(
        JSON.stringify({ audio_base64: Buffer.concat(audio).toString('base64'), alignment, normalized_alignment: alignment }),
      );
      sendAudioFile(http.response, body, 'application/json', this.headers(parsed, speech, http.request));
    });
  }

  /** `POST /v1/text-to-speech/{voice_id}/stream/with-timestamps`: one JSON object per line as audio is produced. */
  async streamWithTimestamps(call: ElevenLabsCall, http: Http): Promise<void> {
    const { parsed, prepared } = await this.prepare(call, http.request);
    await abortOnDisconnect(http.response, async (signal) => {
      const speech = await this.speech.streamTimed(prepared, callerOf(call, http), signal);
      const timeline = new CharacterTimeline(prepared.request.text);
      const lines = ndjsonLines(speech, timeline);
      await sendAudioStream(
        http.response,
        { ...speech, contentType: 'application/x-ndjson', byteLength: undefined, chunks: lines, samplesWritten: () => undefined },
        { ...this.headers(parsed, speech, http.request), 'cache-control': 'no-store' },
      );
    });
  }

  /**
   * Parses, checks the voice, and prepares (route, price, output) before anything is billed. Admitted
   * ahead of the rate limit, its refusal (429) still comes before what the request names wrongly.
   */
  private prepare(call: ElevenLabsCall, request: ServiceRequest): Promise<{ parsed: ElevenLabsSpeechRequest; prepared: PreparedSpeech }> {
    return answeredAfterAdmission(pendingAdmission(request).admission, () => this.parseAndPrepare(call, request));
  }

  private async parseAndPrepare(
    call: ElevenLabsCall,
    request: ServiceRequest,
  ): Promise<{ parsed: ElevenLabsSpeechRequest; prepared: PreparedSpeech }> {
    const parsed = parseElevenLabsSpeech(call.voiceId, call.body, call.query);
    const voice = this.speech.voice(call.voiceId);
    if (!voice) throw new TtsError('unknown_voice', `A voice with the voice_id ${call.voiceId} was not found.`, { field: 'voice_id' });
    // The voice decides the engine; a model_id naming another (or an ElevenLabs model) changes nothing, and is said so.
    if (parsed.modelId !== undefined && parsed.modelId !== modelIdOf(voice)) parsed.unhonoured.push('model_id');
    const synthesis = withCacheControl(parsed.synthesis, request.headers['cache-control']);
    return { parsed, prepared: await this.speech.prepare(synthesis, FIELD_NAMES) };
  }

  private headers(parsed: ElevenLabsSpeechRequest, served: Served, request: ServiceRequest): Record<string, string> {
    const ignored = [...parsed.unhonoured, ...served.ignoredFields.map((field) => FIELD_WORDS[field])];
    return {
      'request-id': request.id,
      'x-character-count': String(served.characters),
      'x-tts-provider': served.provider,
      ...cacheStatusHeader(served.cache),
      ...(ignored.length > 0 ? { 'x-ignored-fields': ignored.join(', ') } : {}),
    };
  }
}

/** Each piece as one line: its audio in base64 and the timings of the characters it completes. */
async function* ndjsonLines(speech: TimedSpeechStream, timeline: CharacterTimeline): AsyncGenerator<Buffer> {
  let pending: CharacterTimings[] = [];
  for await (const piece of speech.pieces) {
    pending.push(timeline.next(piece.segments));
    if (piece.audio.length === 0) continue;
    yield line(piece.audio, joinTimings(pending));
    pending = [];
  }
  pending.push(timeline.rest());
  const last = joinTimings(pending);
  if (last.characters.length > 0) yield line(Buffer.alloc(0), last);
}

function line(audio: Buffer, timings: CharacterTimings): Buffer {
  const alignment = timings.characters.length > 0 ? alignmentOf(timings) : undefined;
  const chunk = { audio_base64: audio.toString('base64'), ...(alignment ? { alignment, normalized_alignment: alignment } : {}) };
  return Buffer.from(`${JSON.stringify(chunk)}\n`);
}

function joinTimings(parts: CharacterTimings[]): CharacterTimings {
  return {
    characters: parts.flatMap((part) => part.characters),
    startSeconds: parts.flatMap((part) => part.startSeconds),
    endSeconds: parts.flatMap((part) => part.endSeconds),
  };
}

function alignmentOf(timings: CharacterTimings) {
  return {
    characters: timings.characters,
    character_start_times_seconds: timings.startSeconds,
    character_end_times_seconds: timings.endSeconds,
  };
}

/** Who a call is for, as the engine bills and reports it. */
function callerOf(call: ElevenLabsCall, http: Http): SpeechCaller {
  return {
    tenantId: call.tenantId,
    apiKeyId: call.apiKeyId,
    requestId: http.request.id,
    face: 'elevenlabs',
    ...pendingAdmission(http.request),
  };
}
