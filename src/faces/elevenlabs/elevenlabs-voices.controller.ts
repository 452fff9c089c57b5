import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { TtsError } from '../../common/tts-error';
import { SpeechService } from '../../synthesis/speech.service';
import type { CatalogVoice } from '../../synthesis/speech.types';
import { ApiKeyGuard } from '../../tenants/api-key.guard';
import { KeyRateLimitGuard } from '../../tenants/key-rate-limit';
import { toElevenLabsVoice } from './elevenlabs-catalog.mapper';
import { elevenLabsPath } from './elevenlabs-routes';

const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;

/** `next_page_token`: the offset of the next page, opaque to clients. */
const pageToken = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64url');

function offsetOf(token: unknown): number {
  if (token === undefined || token === '') return 0;
  const match = typeof token === 'string' ? /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString()) : null;
  if (!match)
    throw new TtsError('invalid_request', 'Input should be a next_page_token from an earlier page', {
      field: 'next_page_token',
      details: { input: token },
    });
  return Number(match[1]);
}

function pageSizeOf(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new TtsError('invalid_request', `Input should be an integer from 1 to ${MAX_PAGE_SIZE}`, {
      field: 'page_size',
      details: { input: value, type: 'less_than_equal' },
    });
  }
  return size;
}

/** `search` matches a voice's name, id, language or engine, case-insensitively, as ElevenLabs matches name and labels. */
function matches(voice: CatalogVoice, search: string): boolean {
  const wanted = search.toLowerCase();
  return [voice.name, voice.id, voice.language, voice.engine].some((field) => field.toLowerCase().includes(wanted));
}

/** ElevenLabs' voice endpoints over the catalogue voices (config/routes.yaml), under /elevenlabs. */
@ApiTags('ElevenLabs: voices')
@ApiSecurity('xi-api-key')
@Controller(elevenLabsPath(''))
@UseGuards(ApiKeyGuard, KeyRateLimitGuard)
export class ElevenLabsVoicesController {
  constructor(private readonly speech: SpeechService) {}

  @Get('v1/voices')
  @ApiOperation({ summary: 'List every voice (ElevenLabs v1)' })
  list() {
    return { voices: this.speech.voices().map(toElevenLabsVoice) };
  }

  @Get('v1/voices/:voice_id')
  @ApiOperation({ summary: 'Get one voice' })
  @ApiParam({ name: 'voice_id', example: 'sauti-swahili-v1' })
  show(@Param('voice_id') voiceId: string) {
    const voice = this.speech.voice(voiceId);
    if (!voice) throw new TtsError('unknown_voice', `A voice with the voice_id ${voiceId} was not found.`, { field: 'voice_id' });
    return toElevenLabsVoice(voice);
  }

  @Get('v2/voices')
  @ApiOperation({ summary: 'Search voices, a page at a time (ElevenLabs v2)' })
  @ApiQuery({ name: 'search', required: false })
  @ApiQuery({ name: 'page_size', required: false, type: Number, example: DEFAULT_PAGE_SIZE })
  @ApiQuery({ name: 'next_page_token', required: false })
  @ApiQuery({ name: 'voice_ids', required: false, isArray: true, type: String })
  @ApiQuery({ name: 'category', required: false, description: "Every voice here is 'premade'" })
  search(@Query() query: Record<string, unknown>) {
    const size = pageSizeOf(query.page_size);
    const offset = offsetOf(query.next_page_token);
    const ids = query.voice_ids === undefined ? undefined : ([] as unknown[]).concat(query.voice_ids).map(String);
    const search = typeof query.search === 'string' ? query.search.trim() : '';
    const found = this.speech
      .voices()
      .filter((voice) => !search || matches(voice, search))
      .filter((voice) => !ids || ids.includes(voice.id))
      .filter(() => query.category === undefined || query.category === 'premade');
    const page = found.slice(offset, offset + size);
    const hasMore = offset + size < found.length;
    return {
      voices: page.map(toElevenLabsVoice),
      has_more: hasMore,
      total_count: found.length,
      next_page_token: hasMore ? pageToken(offset + size) : null,
    };
  }
}
