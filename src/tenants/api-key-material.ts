import { createHash, randomBytes } from 'node:crypto';

/** Recognisable in logs, secret scanners and support tickets. */
export const API_KEY_PREFIX = 'sk_sauti_';
const DISPLAY_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;

/** A new key: the prefix and 32 random bytes (256 bits) in base64url. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

export function displayPrefix(plaintext: string): string {
  return plaintext.slice(0, DISPLAY_PREFIX_LENGTH);
}
