/**
 * One long-lived eSpeak NG, alone in a worker thread.
 *
 * Given no text on its command line, eSpeak reads standard input line by line and speaks (or, with
 * `--ipa`, transcribes) each line as it arrives. Here standard input is a callback that blocks this
 * thread (Atomics.wait) until the owner sends lines, so eSpeak's start-up (a WebAssembly instance and
 * its voice data, ~60–80 ms) is paid once per session instead of once per call. Each read hands eSpeak
 * exactly one line; when eSpeak asks for more, everything it wrote since belongs to that line.
 */
import { MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { instantiateEspeak } from './espeak-runtime';

export type EspeakSessionOutput = 'ipa' | 'pcm16';

export interface EspeakSessionData {
  /** eSpeak's arguments (no text, no -f, no -w). */
  args: string[];
  /** `ipa`: the lines eSpeak prints; `pcm16`: `--stdout` WAV, its header stripped. */
  output: EspeakSessionOutput;
  /** Int32 at index 0: bumped by the owner after each request it posts. */
  wake: SharedArrayBuffer;
  requests: MessagePort;
}

export interface EspeakSessionRequest {
  id: number;
  lines: string[];
}

export type EspeakSessionReply =
  { kind: 'result'; id: number; ipa?: string[][]; pcm?: Uint8Array[]; sampleRate?: number } | { kind: 'exited'; errors: string[] };

const WAV_HEADER_BYTES = 44;

const data = workerData as EspeakSessionData;
const port = parentPort as NonNullable<typeof parentPort>;
const wake = new Int32Array(data.wake);
const encoder = new TextEncoder();
const errors: string[] = [];

// eSpeak's file system builds a stack trace for every failed path lookup while it probes its data
// files; nothing in this thread needs stack traces, and without them start-up is about twice as fast.
Error.stackTraceLimit = 0;

/** What eSpeak has written since the current line started. */
class LineOutput {
  private printed: string[] = [];
  private bytes = new Uint8Array(64 * 1024);
  private length = 0;
  private headerLeft = WAV_HEADER_BYTES;
  private readonly header = new Uint8Array(WAV_HEADER_BYTES);
  sampleRate = 0;

  print(line: string): void {
    this.printed.push(line);
  }

  write(byte: number): void {
    if (this.headerLeft > 0) {
      this.header[WAV_HEADER_BYTES - this.headerLeft--] = byte;
      if (this.headerLeft === 0) this.sampleRate = new DataView(this.header.buffer).getUint32(24, true);
      return;
    }
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[this.length++] = byte;
  }

  takePrinted(): string[] {
    const printed = this.printed.map((line) => line.trim()).filter((line) => line !== '');
    this.printed = [];
    return printed;
  }

  takeBytes(): Uint8Array {
    const bytes = this.bytes.slice(0, this.length);
    this.length = 0;
    return bytes;
  }
}

const output = new LineOutput();

function nextRequest(): EspeakSessionRequest {
  for (;;) {
    const seen = Atomics.load(wake, 0);
    const received = receiveMessageOnPort(data.requests);
    if (received) return received.message as EspeakSessionRequest;
    Atomics.wait(wake, 0, seen);
  }
}

let request: EspeakSessionRequest | undefined;
let ipa: string[][] = [];
let pcm: Uint8Array[] = [];
let nextLine = 0;
let line: Uint8Array | undefined;
let position = 0;
let endOfRead = false;

function finishLine(): void {
  if (data.output === 'ipa') ipa.push(output.takePrinted());
  else pcm.push(output.takeBytes());
}

function reply(): void {
  const finished = request as EspeakSessionRequest;
  if (data.output === 'ipa') port.postMessage({ kind: 'result', id: finished.id, ipa } satisfies EspeakSessionReply);
  else
    port.postMessage(
      { kind: 'result', id: finished.id, pcm, sampleRate: output.sampleRate } satisfies EspeakSessionReply,
      pcm.map((bytes) => bytes.buffer as ArrayBuffer),
    );
  request = undefined;
  ipa = [];
  pcm = [];
}

/** eSpeak's standard input: one byte per call, `undefined` to end a read at the end of a line. */
function readStandardInput(): number | undefined {
  if (endOfRead) {
    endOfRead = false;
    return undefined;
  }
  if (!line) {
    if (request) {
      finishLine();
      if (nextLine === request.lines.length) reply();
    }
    if (!request) {
      request = nextRequest();
      nextLine = 0;
    }
    line = encoder.encode(`${request.lines[nextLine++]}\n`);
    position = 0;
  }
  const byte = line[position++];
  if (position === line.length) {
    line = undefined;
    endOfRead = true;
  }
  return byte;
}

void instantiateEspeak({
  arguments: data.args,
  stdin: readStandardInput,
  print: (text: string) => output.print(text),
  stdout: data.output === 'pcm16' ? (byte: number) => output.write(byte) : undefined,
  printErr: (text: string) => errors.push(text),
}).then(
  // Only reached when eSpeak's main returns: it refused its arguments (an unknown voice, say).
  () => port.postMessage({ kind: 'exited', errors } satisfies EspeakSessionReply),
  (error: unknown) => port.postMessage({ kind: 'exited', errors: [...errors, String(error)] } satisfies EspeakSessionReply),
);
