// Basic authentication: the Basic header parser, the per-request decision between a user, anonymous
// access on loopback, and a 401, and the one method (OPTIONS) that needs no credentials. Password
// hashes are util/password.ts.

import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';
import { isLoopbackAddress, isLoopbackHost } from '../util/loopback.js';
import { hashPassword, verifyPassword } from '../util/password.js';
import { Semaphore } from '../util/semaphore.js';

export interface BasicCredentials {
  user: string;
  password: string;
}

/**
 * Parses `Authorization: Basic …` (RFC 7617): any base64 (`+`, `/`, padding optional), UTF-8
 * credentials, split at the first `:` so a password may contain colons. Null when absent or malformed.
 */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (header === undefined) return null;
  const base64 = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header)?.[1];
  if (base64 === undefined || base64.replace(/=+$/, '').length % 4 === 1) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(base64, 'base64'));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface DavUser {
  name: string;
  passwordHash: string;
}

/** `busy`: the credentials could not be checked now (too many checks waiting); the client should retry. */
export type AuthResult = { ok: true; user: string | null } | { ok: false; busy?: true };

export interface CheckLimits {
  /** Password checks (scrypt) run at once. */
  running: number;
  /** Checks that may wait for a turn; beyond them a login is refused as busy rather than queued. */
  waiting: number;
}

export interface AuthOptions {
  users: DavUser[];
  /** Anonymous access is granted only when this is set, no users exist and the request came in on loopback, for a loopback host name. */
  allowAnonymous: boolean;
  /** Default: 2 running, 32 waiting. */
  checkLimits?: CheckLimits;
}

/**
 * Methods answered without credentials even when users are configured; for them no password is
 * checked at all (valid, wrong or absent), so they cost no scrypt work and no place in the check
 * limiter. Only OPTIONS: Windows' WebDAV redirector starts every mapping with an OPTIONS that carries
 * no credentials and gives up on a 401. Its answer says what the server is (DAV classes, MS-Author-Via,
 * Allow) and nothing about the drive. Without users, the anonymous loopback rules apply to it as to
 * every method.
 */
export function isPublicMethod(method: string): boolean {
  return method === 'OPTIONS';
}

/**
 * Two password checks at once: scrypt runs on libuv's thread pool (4 threads), which every file
 * operation of the drive (spooling uploads, overlay files) shares, so a burst of wrong passwords from
 * anyone who can connect would otherwise stall all of them. 32 more may wait for a turn.
 */
const DEFAULT_CHECK_LIMITS: CheckLimits = { running: 2, waiting: 32 };

/** Runs password checks `running` at a time; 'busy' when `waiting` are already waiting. */
function checkLimiter(limits: CheckLimits): (check: () => Promise<boolean>) => Promise<boolean | 'busy'> {
  const slots = new Semaphore(limits.running);
  return async (check) => {
    if (slots.inUse === slots.size && slots.waiting >= limits.waiting) return 'busy';
    const release = await slots.acquire();
    try {
      return await check();
    } finally {
      release();
    }
  };
}

/**
 * Builds the per-request authenticator. scrypt is deliberately slow and clients resend Basic
 * credentials on every request, so successful checks are remembered for a while under a keyed hash
 * (the plain password is never kept); checks not answered from there are rate-limited (checkLimiter).
 */
export function createAuthenticator(opts: AuthOptions): (req: IncomingMessage) => Promise<AuthResult> {
  const users = new Map(opts.users.map((u) => [u.name, u.passwordHash]));
  if (users.size === 0 && !opts.allowAnonymous) {
    throw new Error('No users are configured and anonymous access is off: nobody could log in');
  }
  const cacheKey = randomBytes(32);
  const verified = new LRUCache<string, true>({ max: 1000, ttl: 10 * 60_000 });
  let decoyHash: Promise<string> | undefined;
  const limited = checkLimiter(opts.checkLimits ?? DEFAULT_CHECK_LIMITS);

  return async (req) => {
    if (users.size === 0) {
      const local = isLoopbackAddress(req.socket.localAddress) && isLoopbackHost(req.headers.host);
      return local ? { ok: true, user: null } : { ok: false };
    }
    const creds = parseBasicAuth(req.headers.authorization);
    if (!creds) return { ok: false };
    const stored = users.get(creds.user);
    if (stored === undefined) {
      // Spend the same time as for a real user so response timing does not reveal user names.
      const outcome = await limited(async () => {
        decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
        await verifyPassword(creds.password, await decoyHash);
        return false;
      });
      return outcome === 'busy' ? { ok: false, busy: true } : { ok: false };
    }
    const key = createHmac('sha256', cacheKey).update(`${creds.user}\0${creds.password}\0${stored}`).digest('base64');
    if (verified.has(key)) return { ok: true, user: creds.user };
    const outcome = await limited(() => verifyPassword(creds.password, stored));
    if (outcome === 'busy') return { ok: false, busy: true };
    if (!outcome) return { ok: false };
    verified.set(key, true);
    return { ok: true, user: creds.user };
  };
}
