// Upload sessions: what precreate hands out as `uploadid` and superfile2 requires. A session lives
// until create commits it or its lifetime (knob uploadIdTtlMs) runs out.

import type { Db } from './db.js';

export interface Session {
  uploadId: string;
  accountId: number;
  path: string;
  size: number | null;
  blockList: string[];
}

export class Sessions {
  constructor(private readonly db: Db) {}

  /** The live session with this id owned by the account, or null. */
  live(accountId: number, uploadId: string, now: number): Session | null {
    const r = this.db
      .prepare('SELECT * FROM sessions WHERE uploadid = ? AND account_id = ? AND expires_at > ?')
      .get(uploadId, accountId, now) as
      | { uploadid: string; account_id: number; path: string; size: number | null; block_list: string }
      | undefined;
    if (!r) return null;
    return { uploadId: r.uploadid, accountId: r.account_id, path: r.path, size: r.size, blockList: JSON.parse(r.block_list) as string[] };
  }

  /** Creates or refreshes a session. */
  save(s: Session, expiresAt: number): void {
    this.db
      .prepare(
        `INSERT INTO sessions (uploadid, account_id, path, size, block_list, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (uploadid) DO UPDATE SET path = excluded.path, size = excluded.size,
           block_list = excluded.block_list, expires_at = excluded.expires_at`,
      )
      .run(s.uploadId, s.accountId, s.path, s.size, JSON.stringify(s.blockList), expiresAt);
  }

  end(accountId: number, uploadId: string): void {
    this.db.prepare('DELETE FROM sessions WHERE uploadid = ? AND account_id = ?').run(uploadId, accountId);
  }

  pruneExpired(now: number): void {
    this.db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  }
}
