import { randomBytes } from 'node:crypto';

/** Unlike tenant keys (`sk_sauti_`), so a person, a log search or a secret scanner tells them apart. */
export const ADMIN_KEY_PREFIX = 'sauti_admin_';
const DISPLAY_PREFIX_LENGTH = ADMIN_KEY_PREFIX.length + 6;

/** A new admin key or admin token: the prefix and 32 random bytes (256 bits) in base64url. */
export function generateAdminKey(): string {
  return ADMIN_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function adminKeyDisplayPrefix(plaintext: string): string {
  return plaintext.slice(0, DISPLAY_PREFIX_LENGTH);
}
