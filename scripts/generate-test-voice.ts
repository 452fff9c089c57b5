/**
 * Builds `sauti-test-v1`: a tiny ONNX model with exactly Piper's input/output contract, plus its
 * `.onnx.json`. It lets tests and CI exercise the whole VITS path (phonemes → ids → worker thread →
 * onnxruntime → WAV) without downloading a real voice.
 *
 * The "voice" plays one short tone per phoneme id: frequency = 100 Hz + 15 Hz × id, each tone
 * round(400 × length_scale) samples long (25 ms at 16 kHz for length_scale 1). So the output is
 * deterministic, never silent, and its length grows with the number of ids and with length_scale,
 * which is what the tests check. noise_scale and noise_w are accepted and ignored.
 *
 * Usage: `node dist/scripts/generate-test-voice.js <outDir>` (writes sauti-test-v1.onnx[.json]).
 * The committed copy lives in test/fixtures/voices/; a test regenerates it and compares bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';

export const TEST_VOICE_ID = 'sauti-test-v1';
export const TEST_VOICE_SAMPLE_RATE = 16000;
const SAMPLES_PER_ID = 400;
const BASE_FREQUENCY_HZ = 100;
const HZ_PER_ID = 15;
const AMPLITUDE = 0.3;

/**
 * Piper's special symbols, punctuation, and the IPA symbols eSpeak NG emits (Swahili needs a small
 * subset; the rest keeps the map useful for other eSpeak voices). One code point per entry, as
 * Piper maps them after NFD decomposition.
 */
const SYMBOLS = [
  '_',
  '^',
  '$',
  ' ',
  '!',
  "'",
  '(',
  ')',
  ',',
  '-',
  '.',
  ':',
  ';',
  '?',
  ...'abcdefghijklmnopqrstuvwxyz',
  ...'æçðøħŋœǀǁǂǃɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʰʲʷˈˌːˑ˞βθχᵻⱱ',
  '\u0303', // combining tilde (nasalised vowels)
  '\u0329', // combining syllabic mark (Swahili syllabic m/n)
  '\u032a', // combining bridge (dental)
];

export function testVoicePhonemeIdMap(): Record<string, number[]> {
  const map: Record<string, number[]> = {};
  SYMBOLS.forEach((symbol, id) => (map[symbol] = [id]));
  return map;
}

export function testVoiceConfig(): Record<string, unknown> {
  return {
    dataset: TEST_VOICE_ID,
    audio: { sample_rate: TEST_VOICE_SAMPLE_RATE, quality: 'test' },
    espeak: { voice: 'sw' },
    language: { code: 'sw' },
    inference: { noise_scale: 0.667, length_scale: 1, noise_w: 0.8 },
    phoneme_type: 'espeak',
    num_symbols: SYMBOLS.length,
    num_speakers: 1,
    speaker_id_map: {},
    phoneme_id_map: testVoicePhonemeIdMap(),
    test_voice: true,
  };
}

const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

function scalar(name: string, dataType: onnx.TensorProto.DataType, value: number): onnx.INodeProto {
  const tensor: onnx.ITensorProto = { name, dataType, dims: [] };
  if (dataType === DataType.INT64) tensor.int64Data = [value];
  else tensor.floatData = [value];
  return { opType: 'Constant', name, output: [name], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: tensor }] };
}

function vector(name: string, values: number[]): onnx.INodeProto {
  const tensor: onnx.ITensorProto = { name, dataType: DataType.INT64, dims: [values.length], int64Data: values };
  return { opType: 'Constant', name, output: [name], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: tensor }] };
}

function node(opType: string, inputs: string[], output: string, attribute: onnx.IAttributeProto[] = []): onnx.INodeProto {
  return { opType, name: output, input: inputs, output: [output], attribute };
}

function tensorType(elemType: onnx.TensorProto.DataType, dims: (number | string)[]): onnx.ITypeProto {
  return { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } };
}

/**
 * `piper`: inputs input / input_lengths / scales, output `output` (the committed fixture).
 * `sherpa`: the layout of sherpa-onnx's VITS and MMS exports: x / x_length / noise_scale /
 * length_scale / noise_scale_w, output `y`; used by tests of the MMS path.
 */
export type TestVoiceLayout = 'piper' | 'sherpa';

function toneNodes(layout: TestVoiceLayout, samplesPerId: number): onnx.INodeProto[] {
  const ids = layout === 'piper' ? 'input' : 'x';
  const lengthScale = layout === 'piper' ? 'length_scale' : 'length_scale_value';
  const output = layout === 'piper' ? 'output' : 'y';
  const toInt64 = [{ name: 'to', type: AttributeType.INT, i: DataType.INT64 }];
  const toFloat = [{ name: 'to', type: AttributeType.INT, i: DataType.FLOAT }];
  return [
    scalar('one_i', DataType.INT64, 1),
    scalar('zero_i', DataType.INT64, 0),
    scalar('samples_per_id', DataType.FLOAT, samplesPerId),
    scalar('one_f', DataType.FLOAT, 1),
    scalar('hz_per_id', DataType.FLOAT, HZ_PER_ID),
    scalar('base_hz', DataType.FLOAT, BASE_FREQUENCY_HZ),
    scalar('radians_per_hz_sample', DataType.FLOAT, (2 * Math.PI) / TEST_VOICE_SAMPLE_RATE),
    scalar('amplitude', DataType.FLOAT, AMPLITUDE),
    vector('flat_shape', [-1]),
    vector('output_shape', [1, 1, -1]),
    // Samples per id: max(1, round(400 × length_scale)).
    layout === 'piper'
      ? node('Gather', ['scales', 'one_i'], lengthScale, [{ name: 'axis', type: AttributeType.INT, i: 0 }])
      : node('Gather', ['length_scale', 'zero_i'], lengthScale, [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Mul', [lengthScale, 'samples_per_id'], 'tone_length_raw'),
    node('Round', ['tone_length_raw'], 'tone_length_rounded'),
    node('Max', ['tone_length_rounded', 'one_f'], 'tone_length_f'),
    node('Cast', ['tone_length_f'], 'tone_length', toInt64),
    // t = 0 … N × tone_length − 1; each sample plays the id at t / tone_length.
    node('Shape', [ids], 'input_shape'),
    node('Gather', ['input_shape', 'one_i'], 'id_count', [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Mul', ['id_count', 'tone_length'], 'total_samples'),
    node('Range', ['zero_i', 'total_samples', 'one_i'], 't'),
    node('Div', ['t', 'tone_length'], 'id_index'),
    node('Reshape', [ids, 'flat_shape'], 'ids_flat'),
    node('Gather', ['ids_flat', 'id_index'], 'sample_ids', [{ name: 'axis', type: AttributeType.INT, i: 0 }]),
    node('Cast', ['sample_ids'], 'sample_ids_f', toFloat),
    node('Mul', ['sample_ids_f', 'hz_per_id'], 'id_hz'),
    node('Add', ['id_hz', 'base_hz'], 'frequency'),
    // Phase restarts with each tone so the waveform only depends on (id, position in tone).
    node('Mul', ['id_index', 'tone_length'], 'tone_start'),
    node('Sub', ['t', 'tone_start'], 'position'),
    node('Cast', ['position'], 'position_f', toFloat),
    node('Mul', ['frequency', 'position_f'], 'cycles_scaled'),
    node('Mul', ['cycles_scaled', 'radians_per_hz_sample'], 'phase'),
    node('Sin', ['phase'], 'wave'),
    node('Mul', ['wave', 'amplitude'], 'audio'),
    node('Reshape', ['audio', 'output_shape'], output),
  ];
}

/** The serialized model. Deterministic: the same bytes on every run and machine. */
function graphInputs(layout: TestVoiceLayout): onnx.IValueInfoProto[] {
  if (layout === 'piper') {
    return [
      { name: 'input', type: tensorType(DataType.INT64, [1, 'phonemes']) },
      { name: 'input_lengths', type: tensorType(DataType.INT64, [1]) },
      { name: 'scales', type: tensorType(DataType.FLOAT, [3]) },
    ];
  }
  return [
    { name: 'x', type: tensorType(DataType.INT64, [1, 'tokens']) },
    { name: 'x_length', type: tensorType(DataType.INT64, [1]) },
    ...['noise_scale', 'length_scale', 'noise_scale_w'].map((name) => ({ name, type: tensorType(DataType.FLOAT, [1]) })),
  ];
}

/** The test voice's network; `samplesPerId` other than 400 builds a variant (a "retrained" model, for tests of a replaced voice). */
export function buildTestVoiceModel(layout: TestVoiceLayout = 'piper', samplesPerId = SAMPLES_PER_ID): Uint8Array {
  const model: onnx.IModelProto = {
    irVersion: 7,
    producerName: 'sauti generate-test-voice',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: TEST_VOICE_ID,
      node: toneNodes(layout, samplesPerId),
      input: graphInputs(layout),
      output: [{ name: layout === 'piper' ? 'output' : 'y', type: tensorType(DataType.FLOAT, [1, 1, 'time']) }],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}

export function writeTestVoice(outDir: string): { modelPath: string; configPath: string } {
  mkdirSync(outDir, { recursive: true });
  const modelPath = join(outDir, `${TEST_VOICE_ID}.onnx`);
  const configPath = `${modelPath}.json`;
  writeFileSync(modelPath, buildTestVoiceModel());
  writeFileSync(configPath, `${JSON.stringify(testVoiceConfig(), null, 2)}\n`);
  return { modelPath, configPath };
}

/** A sherpa-onnx `tokens.txt` for the MMS-layout model: blank `_` 0, space 1, then a–z and Swahili's apostrophe. */
export function testMmsTokens(): string {
  const symbols = ['_', ' ', ...'abcdefghijklmnopqrstuvwxyz', "'"];
  return `${symbols.map((symbol, id) => `${symbol} ${id}`).join('\n')}\n`;
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: node dist/scripts/generate-test-voice.js <outDir>\n');
    process.exit(2);
  }
  const written = writeTestVoice(outDir);
  process.stdout.write(`wrote ${written.modelPath} and ${written.configPath}\n`);
}
