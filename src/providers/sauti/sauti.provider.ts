import type { AudioStream } from '../../audio/audio-stream';
import { onePiece } from '../../audio/audio-stream';
import { readWavLayout, wavDescriptor } from '../../audio/wav';
import type { FieldSupport, ProviderRequest } from '../tts-provider';
import { UpstreamAsk, unreadable } from '../http/upstream-audio';
import type { StreamingUpstreamResponse } from '../http/upstream-http.client';
import { UpstreamCall, UpstreamProvider } from '../http/upstream-provider.base';

/**
 * Another instance of this service (or the original Sauti API): `POST /v1/text-to-speech/{voice_id}`
 * with `xi-api-key` and Sauti `voice_settings`; the answer is JSON carrying a base64 WAV, so it is
 * read whole. Its WAV passes through to a client that asked for WAV at the same rate.
 */
export class SautiProvider extends UpstreamProvider {
  readonly kind = 'sauti' as const;
  protected readonly fields: FieldSupport = { voice: false, speed: [0.25, 4], instructions: false, language: false };

  protected nativeAsk(): undefined {
    return undefined;
  }

  protected transcodeAsk(): UpstreamAsk {
    return { format: 'wav', sampleRate: 0 };
  }

  protected buildCall(request: ProviderRequest): UpstreamCall {
    return {
      path: `/v1/text-to-speech/${encodeURIComponent(this.upstreamVoice(request.voice))}`,
      headers: this.apiKey ? { 'xi-api-key': this.apiKey } : {},
      body: {
        text: request.text,
        voice_settings: {
          speaking_rate: request.settings.speakingRate,
          noise_scale: request.settings.noiseScale,
          noise_scale_duration: request.settings.noiseScaleDuration,
        },
      },
    };
  }

  protected override async readAudio(response: StreamingUpstreamResponse): Promise<AudioStream> {
    const parts: Buffer[] = [];
    for await (const chunk of response.body) parts.push(chunk);
    let encoded: unknown;
    try {
      encoded = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { audio_base64?: unknown }).audio_base64;
    } catch (error) {
      throw unreadable(this.id, 'the answer is not JSON', error);
    }
    if (typeof encoded !== 'string' || encoded === '') throw unreadable(this.id, 'the answer has no audio_base64');
    const wav = Buffer.from(encoded, 'base64');
    let layout: ReturnType<typeof readWavLayout>;
    try {
      layout = readWavLayout(wav);
    } catch (error) {
      throw unreadable(this.id, `not a readable WAV file (${(error as Error).message})`, error);
    }
    if (layout === 'incomplete') throw unreadable(this.id, 'a WAV file without a data chunk');
    return { descriptor: wavDescriptor(layout.format), byteLength: wav.length, chunks: onePiece(wav) };
  }
}
