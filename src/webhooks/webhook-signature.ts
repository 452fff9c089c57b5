import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks' secret form: `whsec_` and the base64 of the HMAC key. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** 24 random bytes (192 bits), as Svix issues them; the specification asks for 24 to 64. */
const SECRET_BYTES = 24;

export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

/**
 * The `webhook-signature` header of the Standard Webhooks specification: `v1,<base64 HMAC-SHA256 over
 * "id.timestamp.body">` for each secret, space-separated. A receiver accepts the message when any one
 * matches, which is what lets a rotated-out secret keep working during its grace period.
 */
export function signatureHeader(secrets: readonly string[], messageId: string, timestampSeconds: number, body: string): string {
  const signed = `${messageId}.${timestampSeconds}.${body}`;
  return secrets.map((secret) => `v1,${createHmac('sha256', keyOf(secret)).update(signed, 'utf8').digest('base64')}`).join(' ');
}
