// Basic authentication: scrypt password hashes (`scrypt$N$r$p$saltB64$hashB64`), the Basic header
// parser, the per-request decision between a user, anonymous access on loopback, and a 401, and the
// one method (OPTIONS) that needs no credentials.

import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LRUCache } from 'lru-cache';

const DEFAULT_COST = { N: 32768, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

function scryptAsync(plain: string, salt: Buffer, keyLength: number, cost: ScryptOptions): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; leave headroom over Node's 32 MiB default ceiling.
  const maxmem = 256 * (cost.N ?? 1) * (cost.r ?? 1) + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(plain.normalize('NFC'), salt, keyLength, { ...cost, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password for the config file. */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(plain, salt, KEY_BYTES, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface ParsedHash {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

/** Reads a stored hash, refusing parameters that would be weak or would cost absurd memory/time. */
function parseHash(hash: string): ParsedHash | null {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(hash);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const powerOfTwo = (N & (N - 1)) === 0;
  if (!powerOfTwo || N < 1024 || N > 1 << 20 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(m[4], 'base64');
  const key = Buffer.from(m[5], 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 64) return null;
  return { cost: { N, r, p }, salt, key };
}

/** True when `hash` is one verifyPassword can check (settings refuse any other at start-up). */
export function isPasswordHash(hash: string): boolean {
  return parseHash(hash) !== null;
}

/** True when `plain` matches `hash` (constant-time comparison); false for a malformed hash. */
export async function verifyPassword(plain: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await scryptAsync(plain, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

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
  const m = /^\s*basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!m || m[1].replace(/=+$/, '').length % 4 === 1) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(m[1], 'base64'));
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

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * True when a Host header names this machine by a loopback name or address (or is absent, which no
 * browser does). A web page can point a name of its own at 127.0.0.1 (DNS rebinding) and then reach a
 * loopback server from the user's browser as its own origin; the Host it sends is still its own name.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  if (!/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/.test(host)) return false;
  let name: string;
  try {
    // The URL parser canonicalises the forms an address can take (127.1, 0x7f.0.0.1, [0::1]).
    name = new URL(`http://${host}`).hostname.replace(/\.$/, '');
  } catch {
    return false;
  }
  if (name === 'localhost' || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name)) return true;
  return name === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(name);
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
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (check) => {
    if (running < limits.running) running++;
    else if (waiting.length < limits.waiting) await new Promise<void>((turn) => waiting.push(turn));
    else return 'busy';
    try {
      return await check();
    } finally {
      // The slot passes straight to the next waiter, if any.
      const next = waiting.shift();
      if (next) next();
      else running--;
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
