// Accounts, identified by the `ndus` cookie value. The default account (the one `npm start` uses) is
// created once and kept, so its cookie is stable across restarts of the same data dir.

import { randomBytes, randomInt } from 'node:crypto';
import { GiB } from '../../terabox/chunk-size.js';
import type { AccountOptions } from '../types.js';
import type { Db } from './db.js';

export interface Account {
  id: number;
  ndus: string;
  name: string;
  uk: number;
  bdstoken: string;
  /** The pair /api/home/info hands out; /api/download checks downloadSign(sign3, sign1). */
  sign1: string;
  sign3: string;
  quota: number;
  maxFileSize: number;
  vip: boolean;
  region: string | null;
  rapidUpload: boolean;
}

/** TeraBox's free plan offers 1 TB; we read that as 1 TiB. */
export const DEFAULT_QUOTA = 1024 * GiB;
/** Free accounts: 4 GiB per file (errno 58). Premium: 128 GiB (the official part-size ladder's end). */
export const FREE_MAX_FILE = 4 * GiB;
export const VIP_MAX_FILE = 128 * GiB;

interface Row {
  id: number;
  ndus: string;
  name: string;
  uk: number;
  bdstoken: string;
  sign1: string;
  sign3: string;
  quota: number;
  max_file_size: number;
  vip: number;
  region: string | null;
  rapid_upload: number;
}

function fromRow(r: Row): Account {
  return {
    id: r.id,
    ndus: r.ndus,
    name: r.name,
    uk: r.uk,
    bdstoken: r.bdstoken,
    sign1: r.sign1,
    sign3: r.sign3,
    quota: r.quota,
    maxFileSize: r.max_file_size,
    vip: r.vip === 1,
    region: r.region,
    rapidUpload: r.rapid_upload === 1,
  };
}

function settings(opts: AccountOptions): { quota: number; maxFileSize: number; vip: boolean; region: string | null; rapidUpload: boolean } {
  const vip = opts.vip ?? false;
  return {
    quota: opts.quotaBytes ?? DEFAULT_QUOTA,
    maxFileSize: opts.maxFileSize ?? (vip ? VIP_MAX_FILE : FREE_MAX_FILE),
    vip,
    region: opts.region ?? null,
    rapidUpload: opts.rapidUpload ?? true,
  };
}

/** Checks untyped account options (from JSON or JS callers); throws naming the bad field. */
export function checkAccountOptions(value: unknown): AccountOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('account options must be an object');
  const o = value as Record<string, unknown>;
  const check = (key: string, ok: (v: unknown) => boolean, expected: string) => {
    if (o[key] !== undefined && !ok(o[key])) throw new TypeError(`account option ${key}: ${JSON.stringify(o[key])} is not ${expected}`);
  };
  const size = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  check('name', (v) => typeof v === 'string', 'a string');
  check('quotaBytes', size, 'a byte count');
  check('maxFileSize', size, 'a byte count');
  check('vip', (v) => typeof v === 'boolean', 'a boolean');
  check('region', (v) => typeof v === 'string' && /^[a-z0-9-]+$/i.test(v), 'a host prefix');
  check('rapidUpload', (v) => typeof v === 'boolean', 'a boolean');
  for (const key of Object.keys(o)) {
    if (!['name', 'quotaBytes', 'maxFileSize', 'vip', 'region', 'rapidUpload'].includes(key))
      throw new TypeError(`unknown account option ${key}`);
  }
  return o as AccountOptions;
}

/** The cookie string a client sends for an account. */
export function cookieFor(a: Pick<Account, 'ndus'>): string {
  return `ndus=${a.ndus}; lang=en`;
}

/** The ndus value of a Cookie header, if any. */
export function ndusOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === 'ndus') return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export class Accounts {
  constructor(private readonly db: Db) {}

  /** Creates an account; `onCreate` runs in the same transaction (the root directory). */
  add(opts: AccountOptions, onCreate: (a: Account) => void, isDefault = false): Account {
    const s = settings(opts);
    return this.db.transaction(() => {
      const info = this.db
        .prepare(
          `INSERT INTO accounts (ndus, name, uk, bdstoken, sign1, sign3, quota, max_file_size, vip, region, rapid_upload, is_default)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          'Y' + randomBytes(33).toString('base64url'),
          opts.name ?? `user${randomInt(1e6)}`,
          randomInt(1e11, 281e12),
          randomBytes(16).toString('hex'),
          randomBytes(20).toString('hex'),
          randomBytes(20).toString('hex'),
          s.quota,
          s.maxFileSize,
          s.vip ? 1 : 0,
          s.region,
          s.rapidUpload ? 1 : 0,
          isDefault ? 1 : 0,
        );
      const account = this.byId(Number(info.lastInsertRowid))!;
      onCreate(account);
      return account;
    })();
  }

  /** The default account, created on first start; its settings follow `opts` at every start. */
  ensureDefault(opts: AccountOptions, onCreate: (a: Account) => void): Account {
    const row = this.db.prepare('SELECT id FROM accounts WHERE is_default = 1').get() as { id: number } | undefined;
    if (!row) return this.add({ name: 'default', ...opts }, onCreate, true);
    const s = settings(opts);
    this.db
      .prepare('UPDATE accounts SET quota = ?, max_file_size = ?, vip = ?, region = ?, rapid_upload = ? WHERE id = ?')
      .run(s.quota, s.maxFileSize, s.vip ? 1 : 0, s.region, s.rapidUpload ? 1 : 0, row.id);
    if (opts.name) this.db.prepare('UPDATE accounts SET name = ? WHERE id = ?').run(opts.name, row.id);
    return this.byId(row.id)!;
  }

  byId(id: number): Account | null {
    const r = this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  byCookie(cookieHeader: string | undefined): Account | null {
    const ndus = ndusOf(cookieHeader);
    if (!ndus) return null;
    const r = this.db.prepare('SELECT * FROM accounts WHERE ndus = ?').get(ndus) as Row | undefined;
    return r ? fromRow(r) : null;
  }
}
