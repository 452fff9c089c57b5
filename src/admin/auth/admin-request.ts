import type { ServiceRequest } from '../../common/request-context';
import type { AdminIdentity } from './admin-keys.service';
import type { AdminSession } from './admin-sessions';

/** How the caller proved it is an operator. */
export type AdminCredentialKind = 'session' | 'bearer';

export interface AdminCaller {
  identity: AdminIdentity;
  via: AdminCredentialKind;
  /** Present when signed in through the dashboard (cookie). */
  session?: AdminSession;
  /** The session cookie's value, to end the session at sign-out. */
  sessionSecret?: string;
}

export interface AdminRequest extends ServiceRequest {
  admin?: AdminCaller;
}

export const ADMIN_SESSION_COOKIE = 'sauti_admin_session';
export const ADMIN_COOKIE_PATH = '/admin/v1';
export const CSRF_HEADER = 'x-csrf-token';
