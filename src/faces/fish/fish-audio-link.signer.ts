import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TtsError } from '../../common/tts-error';
import { AppConfig } from '../../config/app-config';
import { RootLogger } from '../../logging/root-logger';
import { fishTaskAudioPath } from './fish-routes';

export interface SignedAudioLink {
  /** Absolute URL; downloading it needs no API key. */
  url: string;
  expiresAt: Date;
}

/** The query a signed link carries. */
export interface AudioLinkQuery {
  expires?: unknown;
  kid?: unknown;
  signature?: unknown;
}

const SIGNATURE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const EXPIRES_PATTERN = /^[0-9]{1,12}$/;

/**
 * Short-lived download links for task audio: HMAC-SHA256 over key id, task id and expiry (unix
 * seconds). The task id is inside the MAC, so a link cannot be moved to another task, and the expiry
 * too, so it cannot be extended; a link outlives neither its lifetime nor the result.
 */
@Injectable()
export class FishAudioLinkSigner {
  private readonly secret: Buffer;
  private readonly keyId: string;
  private readonly ttlSeconds: number;
  private readonly baseUrl?: string;

  constructor(config: AppConfig, logger: RootLogger) {
    const links = config.audioLinks;
    this.keyId = links.keyId;
    this.ttlSeconds = links.ttlSeconds;
    this.baseUrl = links.baseUrl;
    if (links.secret) {
      this.secret = Buffer.from(links.secret, 'utf8');
    } else {
      // Only outside production (the environment check refuses to start there without one).
      this.secret = randomBytes(32);
      logger.pino.warn(
        'AUDIO_URL_SIGNING_SECRET is not set: audio links are signed with a per-process key and only this process accepts them',
      );
    }
  }

  /** A link valid for the configured lifetime, cut short when the result itself expires sooner. */
  sign(taskId: string, origin: string, resultExpiresAt: Date | null, now = new Date()): SignedAudioLink {
    let expires = Math.floor(now.getTime() / 1000) + this.ttlSeconds;
    if (resultExpiresAt) expires = Math.min(expires, Math.floor(resultExpiresAt.getTime() / 1000));
    const query = new URLSearchParams({
      expires: String(expires),
      kid: this.keyId,
      signature: this.mac(this.keyId, taskId, String(expires)),
    });
    return { url: `${this.baseUrl ?? origin}${fishTaskAudioPath(taskId)}?${query.toString()}`, expiresAt: new Date(expires * 1000) };
  }

  /**
   * Throws `forbidden` for a link this service did not sign for this task (tampered, another task's,
   * unknown key id, missing parts) and `link_expired` for a genuine link past its expiry. The
   * signature is checked first, so an edited expiry is a forgery, not an expired link.
   */
  verify(taskId: string, query: AudioLinkQuery, now = new Date()): void {
    const { expires, kid, signature } = query;
    if (
      typeof expires !== 'string' ||
      typeof kid !== 'string' ||
      typeof signature !== 'string' ||
      !EXPIRES_PATTERN.test(expires) ||
      !SIGNATURE_PATTERN.test(signature)
    ) {
      throw new TtsError(
        'forbidden',
        'This audio link is not valid: it needs the expires, kid and signature parameters it was issued with.',
      );
    }
    if (kid !== this.keyId)
      throw new TtsError(
        'forbidden',
        'This audio link was signed with a key this service no longer accepts. Poll the task for a new audioUrl.',
      );
    const expected = Buffer.from(this.mac(kid, taskId, expires), 'ascii');
    const presented = Buffer.from(signature, 'ascii');
    if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) {
      throw new TtsError('forbidden', 'This audio link is not valid for this task.');
    }
    if (Number(expires) * 1000 <= now.getTime()) {
      throw new TtsError('link_expired', 'This audio link has expired. Poll the task for a new audioUrl.');
    }
  }

  private mac(kid: string, taskId: string, expires: string): string {
    return createHmac('sha256', this.secret).update(`fish-audio\n${kid}\n${taskId}\n${expires}`).digest('base64url');
  }
}
