// The root collection's dates. TeraBox gives the root no times (the drive reports the epoch), which
// clients show as 1970; the newest member's modification time and the oldest member's creation time
// are true statements about the root, and an empty root reports the time this server started.

import type { Drive, Entry } from '../drive/types.js';

const STARTED = new Date();

/** `entry` unchanged unless it is a root without dates; `members` saves a listing when the caller has one. */
export async function withTrueRootDates(drive: Drive, entry: Entry, members?: Entry[]): Promise<Entry> {
  if (entry.path !== '/' || entry.mtime.getTime() > 0) return entry;
  const list = members ?? (await drive.list('/').catch(() => []));
  let mtime = 0;
  let ctime = Infinity;
  for (const m of list) {
    mtime = Math.max(mtime, m.mtime.getTime());
    ctime = Math.min(ctime, m.ctime.getTime(), m.mtime.getTime());
  }
  if (mtime === 0) return { ...entry, mtime: STARTED, ctime: STARTED };
  return { ...entry, mtime: new Date(mtime), ctime: new Date(ctime) };
}
