import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { VoiceEntry } from '../../config/voices.config';
import { parseMmsVocabulary, PhonemeIdMap } from './phoneme-ids';

/**
 * A voice of config/voices.yaml with its files resolved and its config file read, or the reason it
 * cannot be served (files missing, config unreadable) and the command that fixes it.
 */
export type VoiceModel = PiperVoiceModel | MmsVoiceModel;

interface VoiceModelBase {
  id: string;
  modelPath: string;
  /** The Piper JSON or MMS tokens file beside the model. */
  configPath: string;
  sampleRate: number;
  testVoice: boolean;
  language?: string;
  speakerId?: number;
  /** The model's and config's size and modification time when they were read: replacing either changes it. */
  filesStamp: string;
  /** The model file's alone (voices may share a model with configs of their own): a new one needs a new inference session. */
  modelStamp: string;
}

export interface PiperVoiceModel extends VoiceModelBase {
  format: 'piper';
  espeakVoice: string;
  phonemeIdMap: PhonemeIdMap;
  /** The voice's own inference defaults; speaking_rate divides its length_scale. */
  lengthScale: number;
}

export interface MmsVoiceModel extends VoiceModelBase {
  format: 'mms';
  vocabulary: Map<string, number>;
}

export interface UnavailableVoice {
  id: string;
  testVoice: boolean;
  reason: string;
}

export type VoiceLoadResult = { available: true; model: VoiceModel } | { available: false; voice: UnavailableVoice };

export const MMS_SAMPLE_RATE = 16000;

export function installCommand(voiceId: string): string {
  return `npm run cli -- voices install ${voiceId}`;
}

/** Relative directories start at the working directory (the project root for npm scripts). */
export function resolveDirectory(dir: string): string {
  return isAbsolute(dir) ? dir : resolve(process.cwd(), dir);
}

export function voiceDirectory(entry: Pick<VoiceEntry, 'dir'>, voicesDir: string): string {
  return resolveDirectory(entry.dir ?? voicesDir);
}

/** The files a voice needs, absolute. */
export function voiceFiles(entry: VoiceEntry, voicesDir: string): { model: string; config: string } {
  const dir = voiceDirectory(entry, voicesDir);
  const config = entry.config ?? (entry.format === 'piper' ? `${entry.model}.json` : 'tokens.txt');
  return { model: join(dir, entry.model), config: join(dir, config) };
}

export type VoiceStamps = Pick<VoiceModelBase, 'filesStamp' | 'modelStamp'>;

interface PiperConfigFile {
  audio?: { sample_rate?: number };
  espeak?: { voice?: string };
  inference?: { length_scale?: number };
  phoneme_id_map?: PhonemeIdMap;
  phoneme_type?: string;
}

function readPiper(entry: VoiceEntry, files: { model: string; config: string }, stamps: VoiceStamps): PiperVoiceModel {
  const parsed = JSON.parse(readFileSync(files.config, 'utf8')) as PiperConfigFile;
  if (!parsed.phoneme_id_map || !parsed.audio?.sample_rate) throw new Error(`${files.config} has no phoneme_id_map or audio.sample_rate`);
  if (parsed.phoneme_type && parsed.phoneme_type !== 'espeak')
    throw new Error(`phoneme_type '${parsed.phoneme_type}' is not supported (only espeak)`);
  return {
    id: entry.id,
    format: 'piper',
    modelPath: files.model,
    configPath: files.config,
    ...stamps,
    sampleRate: parsed.audio.sample_rate,
    testVoice: entry.test_voice,
    language: entry.language,
    speakerId: entry.speaker_id,
    espeakVoice: parsed.espeak?.voice ?? entry.language ?? 'sw',
    phonemeIdMap: parsed.phoneme_id_map,
    lengthScale: parsed.inference?.length_scale ?? 1,
  };
}

function readMms(entry: VoiceEntry, files: { model: string; config: string }, stamps: VoiceStamps): MmsVoiceModel {
  return {
    id: entry.id,
    format: 'mms',
    modelPath: files.model,
    configPath: files.config,
    ...stamps,
    sampleRate: entry.sample_rate ?? MMS_SAMPLE_RATE,
    testVoice: entry.test_voice,
    language: entry.language,
    speakerId: entry.speaker_id,
    vocabulary: parseMmsVocabulary(readFileSync(files.config, 'utf8'), files.config),
  };
}

/** A file's size and modification time, or undefined when it is not there. */
function fileStamp(path: string): string | undefined {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat && `${stat.size}:${stat.mtimeMs}`;
}

/**
 * The voice's files as they are on disk now (two `stat` calls): a `voices install` that adds or
 * replaces them changes these. Undefined while either file is missing.
 */
export function voiceStamps(entry: VoiceEntry, voicesDir: string): VoiceStamps | undefined {
  const files = voiceFiles(entry, voicesDir);
  const model = fileStamp(files.model);
  const config = fileStamp(files.config);
  return model && config ? { filesStamp: `${model}|${config}`, modelStamp: model } : undefined;
}

/** Reads one voice; never throws (a broken voice must not stop the service, only that voice). */
export function loadVoiceModel(entry: VoiceEntry, voicesDir: string): VoiceLoadResult {
  const files = voiceFiles(entry, voicesDir);
  const stamps = voiceStamps(entry, voicesDir);
  const unavailable = (reason: string): VoiceLoadResult => ({
    available: false,
    voice: { id: entry.id, testVoice: entry.test_voice, reason },
  });
  if (!stamps) {
    const missing = [files.model, files.config].filter((path) => !fileStamp(path));
    return unavailable(`missing ${missing.join(', ')}; install with: ${installCommand(entry.id)}`);
  }
  try {
    const model = entry.format === 'piper' ? readPiper(entry, files, stamps) : readMms(entry, files, stamps);
    return { available: true, model };
  } catch (error) {
    return unavailable(`cannot read voice config: ${(error as Error).message}`);
  }
}
