/**
 * Runs in a piscina worker thread: eSpeak's WebAssembly blocks the thread that calls it (~0.2 s per
 * run), and the api's event loop must not wait on it. The thread compiles the module once.
 */
import { speakToWav } from '../../espeak/espeak-runtime';

export interface SpeakTask {
  text: string;
  voice: string;
  wordsPerMinute: number;
}

export default async function speak(task: SpeakTask): Promise<Uint8Array> {
  return speakToWav(task.text, task.voice, task.wordsPerMinute);
}
