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

export interface EspeakRun {
  /** Command-line arguments after `espeak-ng`, reading the text from INPUT_PATH. */
  args: string[];
  text: string;
}

export const INPUT_PATH = '/input.txt';

/**
 * Runs eSpeak NG once, in-process, and returns its module so the caller can read output files.
 * Each run instantiates a fresh module (eSpeak's main cannot be re-entered); about 0.2 s, most of it
 * unpacking eSpeak's embedded voice data.
 */
export async function runEspeak(run: EspeakRun): Promise<EspeakModule> {
  const [create, wasm] = await Promise.all([loadFactory(), compiledModule()]);
  const errors: string[] = [];
  const module = await create({
    arguments: [...run.args, '-f', INPUT_PATH],
    print: () => undefined,
    printErr: (line: string) => errors.push(line),
    preRun: [(m: EspeakModule) => m.FS.writeFile(INPUT_PATH, run.text)],
    instantiateWasm: (imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) => {
      void WebAssembly.instantiate(wasm, imports).then((instance) => withoutStackTraces(() => receive(instance)));
      return {};
    },
  });
  if (errors.some((line) => /error|not found|unknown/i.test(line))) throw new Error(`espeak-ng: ${errors.join('; ')}`);
  return module;
}

/** IPA phonemes, one line per clause as eSpeak splits them. `voice` is an eSpeak voice such as `sw`. */
export async function phonemize(text: string, voice: string): Promise<string[]> {
  const module = await runEspeak({ args: ['--phonout', '/phonemes.txt', '-q', '--ipa=3', '-v', voice], text });
  return module.FS.readFile('/phonemes.txt', { encoding: 'utf8' }).split('\n').filter((line) => line.trim() !== '');
}

/** eSpeak's own formant speech as a WAV file (16-bit mono, 22,050 Hz). `wordsPerMinute` defaults to 175. */
export async function speakToWav(text: string, voice: string, wordsPerMinute = 175): Promise<Uint8Array> {
  const module = await runEspeak({ args: ['-w', '/speech.wav', '-v', voice, '-s', String(Math.round(wordsPerMinute))], text });
  return module.FS.readFile('/speech.wav');
}

/** eSpeak's --phonout lines for `text`: one per clause, blank for a clause with nothing to say. */
async function phonemeLines(text: string, voice: string): Promise<string[]> {
  const module = await runEspeak({ args: ['--phonout', '/phonemes.txt', '-q', '--ipa', '-v', voice], text });
  return module.FS.readFile('/phonemes.txt', { encoding: 'utf8' }).replace(/\n$/, '').split('\n').map((line) => line.trim());
}

/**
 * IPA for many clauses in one eSpeak run (one WebAssembly instantiation instead of one per clause),
 * one string per input clause, in the form Piper's voices were trained on (`--ipa`: no tie bars).
 * Clauses must not contain clause punctuation; they are fed as separate paragraphs so eSpeak answers
 * with one line each. If eSpeak splits or drops one anyway, the batch is halved until the clause at
 * fault is phonemized on its own (its lines joined), so one odd clause costs a few runs, not one per clause.
 */
export async function phonemizeClauses(clauses: string[], voice: string): Promise<string[]> {
  if (clauses.length === 0) return [];
  const lines = await phonemeLines(clauses.join('\n\n'), voice);
  if (lines.length === clauses.length) return lines;
  const spoken = lines.filter((line) => line !== '');
  if (spoken.length === clauses.length) return spoken;
  if (clauses.length === 1) return [spoken.join(' ')];
  const middle = Math.ceil(clauses.length / 2);
  return [...(await phonemizeClauses(clauses.slice(0, middle), voice)), ...(await phonemizeClauses(clauses.slice(middle), voice))];
}
