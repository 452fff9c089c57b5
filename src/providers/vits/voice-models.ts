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
  /** The model file's size and modification time when it was read: a new one needs a new inference session. */
  modelStamp: string;
  /** The config file's, likewise (voices may share a model with configs of their own). */
  configStamp: string;
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

type VoiceStamps = Pick<VoiceModelBase, 'modelStamp' | 'configStamp'>;

/** A voice's files as they are on disk now: their paths, and each one's stamp (undefined while it is missing). */
export type VoiceFilesOnDisk = { model: string; config: string } & Partial<VoiceStamps>;

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

/** The voice's files as they are on disk now (two `stat` calls): a `voices install` that adds or replaces them changes the stamps. */
export function voiceFilesOnDisk(entry: VoiceEntry, voicesDir: string): VoiceFilesOnDisk {
  const files = voiceFiles(entry, voicesDir);
  return { ...files, modelStamp: fileStamp(files.model), configStamp: fileStamp(files.config) };
}

/** Whether `voice` was read from the files as `onDisk` finds them. */
export function readFrom(voice: VoiceStamps, onDisk: VoiceFilesOnDisk): boolean {
  return voice.modelStamp === onDisk.modelStamp && voice.configStamp === onDisk.configStamp;
}

/** Reads one voice; never throws (a broken voice must not stop the service, only that voice). */
export function loadVoiceModel(entry: VoiceEntry, voicesDir: string, files = voiceFilesOnDisk(entry, voicesDir)): VoiceLoadResult {
  const unavailable = (reason: string): VoiceLoadResult => ({
    available: false,
    voice: { id: entry.id, testVoice: entry.test_voice, reason },
  });
  const { modelStamp, configStamp } = files;
  if (!modelStamp || !configStamp) {
    const missing = [modelStamp ? undefined : files.model, configStamp ? undefined : files.config].filter(Boolean);
    return unavailable(`missing ${missing.join(', ')}; install with: ${installCommand(entry.id)}`);
  }
  const stamps = { modelStamp, configStamp };
  try {
    const model = entry.format === 'piper' ? readPiper(entry, files, stamps) : readMms(entry, files, stamps);
    return { available: true, model };
  } catch (error) {
    return unavailable(`cannot read voice config: ${(error as Error).message}`);
  }
}
