import type { Response } from 'express';
import { sendSseStream } from '../../../src/faces/shared/audio-response';
import type { SpeechStream } from '../../../src/synthesis/speech.types';

/** A response whose socket write fails with an error other than the client leaving. */
function failingResponse(): Response & { ended: boolean } {
  const response = {
    destroyed: false,
    ended: false,
    writeHead: () => response,
    write: () => {
      throw new Error('the socket refused the write');
    },
    end: () => {
      response.ended = true;
      return response;
    },
    on: () => response,
    off: () => response,
  };
  return response as unknown as Response & { ended: boolean };
}

/** A speech stream whose chunks report how it was ended, as the billing's watched stream does. */
function speechStream(): { speech: SpeechStream; ends: string[] } {
  const ends: string[] = [];
  const chunks: AsyncIterableIterator<Buffer> = {
    [Symbol.asyncIterator]: () => chunks,
    next: async () => ({ done: false, value: Buffer.from('audio') }),
    return: async () => {
      ends.push('returned');
      return { done: true, value: undefined };
    },
  };
  const speech = { chunks, markDelivered: () => ends.push('delivered'), contentType: 'audio/mpeg' } as unknown as SpeechStream;
  return { speech, ends };
}

describe('sendSseStream when a write fails', () => {
  it('ends the speech stream (so its billing sees nothing delivered), answers the error event and throws', async () => {
    const { speech, ends } = speechStream();
    const response = failingResponse();
    const events = { delta: () => ({ type: 'delta' }), done: () => ({ type: 'done' }), error: () => ({ type: 'error' }) };
    await expect(sendSseStream(response, speech, {}, events)).rejects.toThrow('the socket refused the write');
    expect(ends).toEqual(['returned']);
    expect(response.ended).toBe(true);
  });
});
