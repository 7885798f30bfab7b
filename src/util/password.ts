// Password hashes as the settings hold them (`scrypt$N$r$p$saltB64$hashB64`): made by
// `terabox-webdav hash-password`, checked at start-up by the settings and at login by the WebDAV layer.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

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
  // Groups 4 and 5 are not optional in the pattern, so a match always has them.
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
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
