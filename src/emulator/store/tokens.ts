// jsTokens: each page fetch issues a fresh one bound to the account; older ones stay valid until
// their own expiry (or until expireAll, the "forced expiry" knob).

import { randomBytes } from 'node:crypto';
import type { Db } from './db.js';

export class Tokens {
  constructor(private readonly db: Db) {}

  issue(accountId: number, now: number, ttlMs: number): string {
    this.db.prepare('DELETE FROM tokens WHERE expires_at <= ?').run(now);
    // Live tokens are long uppercase hex strings.
    const token = randomBytes(64).toString('hex').toUpperCase();
    this.db.prepare('INSERT INTO tokens (token, account_id, expires_at) VALUES (?, ?, ?)').run(token, accountId, now + ttlMs);
    return token;
  }

  valid(accountId: number, token: string | undefined, now: number): boolean {
    if (!token) return false;
    return (
      this.db.prepare('SELECT 1 FROM tokens WHERE token = ? AND account_id = ? AND expires_at > ?').get(token, accountId, now) !== undefined
    );
  }

  expireAll(): void {
    this.db.prepare('DELETE FROM tokens').run();
  }
}
