import { readFileSync } from 'node:fs';

/** The subset of the Emscripten module the `espeak-ng` package gives back that we use. */
interface EspeakModule {
  FS: {
    writeFile(path: string, data: string | Uint8Array): void;
    readFile(path: string, options: { encoding: 'utf8' }): string;
    readFile(path: string): Uint8Array;
  };
}

type EspeakFactory = (options: Record<string, unknown>) => Promise<EspeakModule>;

// `espeak-ng` is an ES module; TypeScript's CommonJS output would turn import() into require().
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: EspeakFactory }>;

let factory: Promise<EspeakFactory> | undefined;
let compiled: Promise<WebAssembly.Module> | undefined;

function loadFactory(): Promise<EspeakFactory> {
  factory ??= importEsm('espeak-ng').then((module) => module.default);
  return factory;
}

/** The 18 MB WebAssembly binary is compiled once per thread and instantiated per call. */
function compiledModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(readFileSync(require.resolve('espeak-ng/dist/espeak-ng.wasm')));
  return compiled;
}

/**
 * Runs `work` with stack traces off. `receive` runs eSpeak's whole main synchronously, and the
 * package's (assertion-enabled) file system builds a demangled stack trace for every failed path
 * lookup while eSpeak probes its data files: about half of each run's time. Only errors created
 * inside this synchronous span, all eSpeak's own, lose their stacks.
 */
function withoutStackTraces(work: () => void): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Creates an eSpeak NG module from the thread's compiled WebAssembly. eSpeak's main runs as soon as
 * it is instantiated, with `options.arguments`; the promise settles when main returns.
 */
export async function instantiateEspeak(options: Record<string, unknown>): Promise<EspeakModule> {
  const [create, wasm] = await Promise.all([loadFactory(), compiledModule()]);
  return create({
    ...options,
    instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => {
      void WebAssembly.instantiate(wasm, imports).then((instance) => withoutStackTraces(() => receive(instance)));
      return {};
    },
  });
}

export interface EspeakRun {
  /** Command-line arguments after `espeak-ng`, reading the text from INPUT_PATH. */
  args: string[];
  text: string;
}

export const INPUT_PATH = '/input.txt';

/**
 * Runs eSpeak NG once, in-process, and returns its module so the caller can read output files.
 * Each run instantiates a fresh module: about 60–80 ms before eSpeak reads a word. The service speaks
 * through long-lived sessions instead (espeak-session.ts); one-shot runs are the reference its tests
 * compare against.
 */
export async function runEspeak(run: EspeakRun): Promise<EspeakModule> {
  const errors: string[] = [];
  const module = await instantiateEspeak({
    arguments: [...run.args, '-f', INPUT_PATH],
    print: () => undefined,
    printErr: (line: string) => errors.push(line),
    preRun: [(m: EspeakModule) => m.FS.writeFile(INPUT_PATH, run.text)],
  });
  if (errors.some((line) => /error|not found|unknown/i.test(line))) throw new Error(`espeak-ng: ${errors.join('; ')}`);
  return module;
}

/** IPA phonemes, one line per clause as eSpeak splits them. `voice` is an eSpeak voice such as `sw`. */
export async function phonemize(text: string, voice: string): Promise<string[]> {
  const module = await runEspeak({ args: ['--phonout', '/phonemes.txt', '-q', '--ipa=3', '-v', voice], text });
  return module.FS.readFile('/phonemes.txt', { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** eSpeak's own formant speech as a WAV file (16-bit mono, 22,050 Hz). `wordsPerMinute` defaults to 175. */
export async function speakToWav(text: string, voice: string, wordsPerMinute = 175): Promise<Uint8Array> {
  const module = await runEspeak({ args: ['-w', '/speech.wav', '-v', voice, '-s', String(Math.round(wordsPerMinute))], text });
  return module.FS.readFile('/speech.wav');
}
