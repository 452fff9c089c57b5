import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { TtsError } from '../../common/tts-error';
import type { VoiceCatalogConfig, VoiceCatalogFile, VoicesConfig } from '../../config/voices.config';
import { voiceDirectory } from './voice-models';

/**
 * `voices install <id>`: downloads a catalogue voice's files into its directory.
 * Each file is streamed into a temporary file in the same directory, checked (size, sha256), then
 * renamed into place, so a reader never sees a half file and a failed download leaves nothing.
 * Files already present and matching are kept: a second install is a no-op.
 */

export interface InstallVoiceOptions {
  voiceId: string;
  catalog: VoiceCatalogConfig;
  voices: VoicesConfig;
  voicesDir: string;
  /** Fetch every file from `<baseUrl>/<file name>` instead of its catalogue URL. */
  baseUrl?: string;
  /** Longest wait for response headers and between two body chunks. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface InstalledFile {
  name: string;
  path: string;
  status: 'installed' | 'already-installed';
  bytes: number;
  sha256: string;
}

export interface InstallVoiceResult {
  voiceId: string;
  dir: string;
  alreadyInstalled: boolean;
  files: InstalledFile[];
}

export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A present file counts as installed when it matches every check the catalogue gives. */
async function presentAndValid(path: string, file: VoiceCatalogFile): Promise<InstalledFile | undefined> {
  if (!existsSync(path)) return undefined;
  const bytes = statSync(path).size;
  if (file.size !== undefined && bytes !== file.size) return undefined;
  const sha256 = await sha256Of(path);
  if (file.sha256 !== undefined && sha256 !== file.sha256) return undefined;
  return { name: file.name, path, status: 'already-installed', bytes, sha256 };
}

function downloadUrl(file: VoiceCatalogFile, baseUrl?: string): string {
  return baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(file.name)}` : file.url;
}

function failure(file: VoiceCatalogFile, url: string, reason: string, cause?: unknown): TtsError {
  return new TtsError('service_unavailable', `cannot install ${file.name} from ${url}: ${reason}`, { cause });
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  const base = (error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError' ? 'timed out' : (error as Error).message;
  return cause?.message ? `${base} (${cause.code ?? cause.message})` : base;
}

/** Streams the body into `temp`, aborting when no bytes arrive for `timeoutMs`. */
async function streamToFile(
  response: Response,
  temp: string,
  timeoutMs: number,
  controller: AbortController,
): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const out = createWriteStream(temp, { flags: 'wx' });
  let bytes = 0;
  let idle = setTimeout(() => controller.abort(), timeoutMs);
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      clearTimeout(idle);
      idle = setTimeout(() => controller.abort(), timeoutMs);
      hash.update(chunk);
      bytes += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  } finally {
    clearTimeout(idle);
    out.end();
    await finished(out).catch(() => undefined);
  }
  return { bytes, sha256: hash.digest('hex') };
}

async function downloadFile(file: VoiceCatalogFile, path: string, options: InstallVoiceOptions): Promise<InstalledFile> {
  const url = downloadUrl(file, options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
  const temp = `${path}.${randomBytes(6).toString('hex')}.part`;
  const controller = new AbortController();
  const headersTimer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } finally {
      clearTimeout(headersTimer);
    }
    if (!response.ok || !response.body) throw failure(file, url, `HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? NaN);
    const { bytes, sha256 } = await streamToFile(response, temp, timeoutMs, controller);
    if (Number.isFinite(declared) && bytes !== declared) throw failure(file, url, `connection closed after ${bytes} of ${declared} bytes`);
    if (file.size !== undefined && bytes !== file.size) throw failure(file, url, `size ${bytes} bytes, expected ${file.size}`);
    if (file.sha256 !== undefined && sha256 !== file.sha256) throw failure(file, url, `sha256 ${sha256}, expected ${file.sha256}`);
    renameSync(temp, path);
    return { name: file.name, path, status: 'installed', bytes, sha256 };
  } catch (error) {
    if (error instanceof TtsError) throw error;
    throw failure(file, url, describeFetchError(error), error);
  } finally {
    if (existsSync(temp)) unlinkSync(temp);
  }
}

export function catalogEntry(catalog: VoiceCatalogConfig, voiceId: string) {
  const entry = catalog.voices.find((voice) => voice.id === voiceId);
  if (!entry) {
    const known = catalog.voices.map((voice) => voice.id).join(', ') || 'none';
    throw new TtsError('unknown_voice', `voice '${voiceId}' is not in config/voice-catalog.yaml (installable: ${known})`, {
      field: 'voice',
    });
  }
  return entry;
}

/**
 * Installs one catalogue voice. All or nothing: if a later file fails, the files this run
 * installed are removed again. Throws TtsError with a one-line message (no network, HTTP error,
 * checksum mismatch, connection dropped).
 */
export async function installVoice(options: InstallVoiceOptions): Promise<InstallVoiceResult> {
  const entry = catalogEntry(options.catalog, options.voiceId);
  const declared = options.voices.voices.find((voice) => voice.id === options.voiceId);
  const dir = voiceDirectory(declared ?? {}, options.voicesDir);
  mkdirSync(dir, { recursive: true });
  const files: InstalledFile[] = [];
  try {
    for (const file of entry.files) {
      const path = join(dir, file.name);
      const present = await presentAndValid(path, file);
      if (present) {
        files.push(present);
        continue;
      }
      options.log?.(`downloading ${file.name} from ${downloadUrl(file, options.baseUrl)}`);
      files.push(await downloadFile(file, path, options));
    }
  } catch (error) {
    for (const file of files) if (file.status === 'installed' && existsSync(file.path)) unlinkSync(file.path);
    throw error;
  }
  return { voiceId: options.voiceId, dir, alreadyInstalled: files.every((file) => file.status === 'already-installed'), files };
}
